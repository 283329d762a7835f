"""Pytest plugin: a loopback SMTP server (aiosmtpd) for the notify email channel's tests.

``smtp_server`` (function scope) is the session's server after :meth:`SmtpServer.reset`: no
messages, no faults, the default users below, ``require_auth`` off. It has all three listeners;
``plain_port`` (cleartext AUTH) is there only for the client's ``none`` security mode test.
aiosmtpd and cryptography are imported lazily so the rest of the suite loads without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.services._require import unavailable

if TYPE_CHECKING:
    from tests.services.smtp_server import SmtpServer

SMTP_USER = "notify-bot"
SMTP_PASSWORD = "correct horse battery staple"  # a test-only credential
SMTP_USERS = {SMTP_USER: SMTP_PASSWORD}


@pytest.fixture(scope="session")
def smtp_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """One SMTP server for the whole session (use ``smtp_server`` in tests)."""
    try:
        from tests.services.smtp_server import SmtpServer

        server = SmtpServer(tmp_path_factory.mktemp("smtp-tls"), users=SMTP_USERS, plain=True)
        server.start()
    except Exception as exc:  # ImportError, OSError on bind, TimeoutError, ssl errors...
        unavailable("SMTP server", f"{type(exc).__name__}: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_session: SmtpServer) -> SmtpServer:
    """The session's SMTP server, reset for this test."""
    smtp_server_session.reset()
    return smtp_server_session
