"""The loopback SMTP server, exercised with stdlib smtplib verifying against the throwaway CA."""

from __future__ import annotations

import json
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from tests.services.plugin_smtp import SMTP_PASSWORD, SMTP_USER

if TYPE_CHECKING:
    from tests.services.smtp_server import SmtpServer

TIMEOUT = 5.0
REPO = Path(__file__).resolve().parents[2]


def _message(subject: str = "Deploy succeeded", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "shipyard <ci@example.org>"
    msg["To"] = "dev@example.org"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("All green.\n")
    return msg


@contextmanager
def _submission(
    server: SmtpServer, host: str = "localhost", login: bool = True
) -> Iterator[smtplib.SMTP]:
    """STARTTLS on the submission port, verified against the CA, then AUTH."""
    with smtplib.SMTP(host, server.submission_port, timeout=TIMEOUT) as client:
        client.starttls(context=server.client_context())
        client.ehlo()  # smtplib's auth() does not re-EHLO, and it takes "503 send EHLO" as success
        if login:
            client.login(SMTP_USER, SMTP_PASSWORD)
        yield client


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_starttls_auth_send(smtp_server: SmtpServer, host: str) -> None:
    context = ssl.create_default_context(cafile=str(smtp_server.ca_cert))
    with smtplib.SMTP(host, smtp_server.submission_port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=context)
        client.ehlo()
        assert set(client.esmtp_features["auth"].split()) == {"LOGIN", "PLAIN"}
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(_message())

    (received,) = smtp_server.messages
    assert received.listener == "submission"
    assert received.tls and received.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert received.auth_user == SMTP_USER
    assert received.mail_from == "ci@example.org"
    assert received.rcpt_tos == ["dev@example.org"]
    assert received.message["Subject"] == "Deploy succeeded"
    assert received.message.get_content() == "All green.\n"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_implicit_tls_auth_send(smtp_server: SmtpServer, host: str) -> None:
    context = ssl.create_default_context(cafile=str(smtp_server.ca_cert))
    with smtplib.SMTP_SSL(host, smtp_server.tls_port, timeout=TIMEOUT, context=context) as client:
        client.ehlo()
        assert "starttls" not in client.esmtp_features
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(_message())

    (received,) = smtp_server.wait_for_messages(1, timeout=TIMEOUT)
    assert (received.listener, received.tls, received.auth_user) == ("tls", True, SMTP_USER)


def test_certificate_is_really_verified(smtp_server: SmtpServer) -> None:
    address = (smtp_server.host, smtp_server.tls_port)
    with (
        socket.create_connection(address, TIMEOUT) as sock,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        smtp_server.client_context().wrap_socket(sock, server_hostname="smtp.example.org")
    with (  # the system store does not trust the throwaway CA
        socket.create_connection(address, TIMEOUT) as sock,
        pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"),
    ):
        ssl.create_default_context().wrap_socket(sock, server_hostname="localhost")


def test_auth_refused_before_starttls(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_server.submission_port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login(SMTP_USER, SMTP_PASSWORD)
        code, reply = client.docmd("AUTH", "PLAIN AG5vdGlmeS1ib3QAeA==")
        assert (code, reply[:6]) == (538, b"5.7.11")
    assert smtp_server.messages == []


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_wrong_password_is_535(smtp_server: SmtpServer, mechanism: str) -> None:
    with _submission(smtp_server, login=False) as client:
        client.user, client.password = SMTP_USER, "wrong"
        authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        with pytest.raises(smtplib.SMTPAuthenticationError) as error:
            client.auth(mechanism, authobject)
        assert error.value.smtp_code == 535
        # the right password still works on the same session
        client.password = SMTP_PASSWORD
        assert client.auth(mechanism, authobject)[0] == 235


def test_users_are_configurable_and_reset(smtp_server: SmtpServer) -> None:
    smtp_server.users["alice"] = "wonderland"
    with smtplib.SMTP_SSL(
        "127.0.0.1", smtp_server.tls_port, timeout=TIMEOUT, context=smtp_server.client_context()
    ) as client:
        client.login("alice", "wonderland")
        client.send_message(_message())
    assert smtp_server.messages[0].auth_user == "alice"
    smtp_server.reset()
    assert "alice" not in smtp_server.users
    assert smtp_server.messages == []


def test_require_auth_refuses_mail_with_530(smtp_server: SmtpServer) -> None:
    smtp_server.require_auth = True
    with _submission(smtp_server, login=False) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as error:
            client.send_message(_message())
        assert error.value.smtp_code == 530
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(_message())
    assert [m.auth_user for m in smtp_server.messages] == [SMTP_USER]
    assert [r.reply[:3] for r in smtp_server.rejections] == ["530"]


def test_without_require_auth_anonymous_mail_is_accepted(smtp_server: SmtpServer) -> None:
    with _submission(smtp_server, login=False) as client:
        client.send_message(_message())
    assert smtp_server.messages[0].auth_user is None


def test_plain_listener_accepts_auth_in_clear(smtp_server: SmtpServer) -> None:
    assert smtp_server.plain_port is not None
    with smtplib.SMTP("127.0.0.1", smtp_server.plain_port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(_message())
    (received,) = smtp_server.messages
    assert (received.listener, received.tls, received.auth_user) == ("plain", False, SMTP_USER)


def test_temporary_451_at_data_then_success_on_retry(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, code=451, stage="DATA")
    with _submission(smtp_server) as client:
        with pytest.raises(smtplib.SMTPDataError) as error:
            client.send_message(_message())
        assert error.value.smtp_code == 451
        assert cast(bytes, error.value.smtp_error).startswith(b"4.3.0")  # typeshed says str
        client.send_message(_message())  # the retry, same session
    assert len(smtp_server.messages) == 1
    assert [(r.stage, r.reply[:3]) for r in smtp_server.rejections] == [("DATA", "451")]
    assert smtp_server.faults_pending == 0


def test_temporary_451_at_rcpt_refuses_every_recipient(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, code=451, stage="RCPT")
    msg = _message(Cc="ops@example.org")
    with _submission(smtp_server) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
            client.send_message(msg)
        assert {code for code, _ in error.value.recipients.values()} == {451}
        client.send_message(msg)
    assert smtp_server.messages[0].rcpt_tos == ["dev@example.org", "ops@example.org"]


@pytest.mark.parametrize(("code", "stage"), [(550, "RCPT"), (554, "DATA"), (550, "MAIL")])
def test_permanent_fault(smtp_server: SmtpServer, code: int, stage: str) -> None:
    smtp_server.fail_next(2, code=code, stage=stage)
    expected = {
        "MAIL": smtplib.SMTPSenderRefused,
        "RCPT": smtplib.SMTPRecipientsRefused,
        "DATA": smtplib.SMTPDataError,
    }[stage]
    with _submission(smtp_server) as client:
        for _ in range(2):
            with pytest.raises(expected):
                client.send_message(_message())
        client.send_message(_message())
    assert len(smtp_server.messages) == 1
    assert [r.reply[:5] for r in smtp_server.rejections] == [f"{code} 5"] * 2


def test_421_closes_the_connection(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, code=421, stage="MAIL")
    with _submission(smtp_server) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as error:
            client.send_message(_message())
        assert error.value.smtp_code == 421
    with _submission(smtp_server) as client:
        client.send_message(_message())
    assert len(smtp_server.messages) == 1


def test_fail_next_validates(smtp_server: SmtpServer) -> None:
    with pytest.raises(ValueError, match="stage"):
        smtp_server.fail_next(stage="HELO")
    with pytest.raises(ValueError, match="4xx or 5xx"):
        smtp_server.fail_next(code=250)
    assert smtp_server.faults_pending == 0


def test_bcc_in_envelope_not_in_headers(smtp_server: SmtpServer) -> None:
    msg = _message(Cc="ops@example.org", Bcc="auditor@example.org, boss@example.org")
    with _submission(smtp_server) as client:
        client.send_message(msg)
    (received,) = smtp_server.messages
    assert sorted(received.rcpt_tos) == [
        "auditor@example.org",
        "boss@example.org",
        "dev@example.org",
        "ops@example.org",
    ]
    assert received.message["Bcc"] is None
    assert b"auditor@example.org" not in received.raw
    assert received.message["Cc"] == "ops@example.org"


def test_multipart_alternative_with_attachment_parsed_back(smtp_server: SmtpServer) -> None:
    msg = _message(subject="Déploiement réussi ✓")
    msg.add_alternative("<p>All <b>green</b>.</p>\n", subtype="html")
    payload = bytes(range(256)) * 4
    msg.add_attachment(
        payload, maintype="application", subtype="octet-stream", filename="report.bin"
    )
    with smtplib.SMTP_SSL(
        "localhost", smtp_server.tls_port, timeout=TIMEOUT, context=smtp_server.client_context()
    ) as client:
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(msg)

    parsed = smtp_server.wait_for_messages(1)[0].message
    assert parsed["Subject"] == "Déploiement réussi ✓"
    assert parsed.get_content_type() == "multipart/mixed"
    alternative = next(parsed.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and plain.get_content() == "All green.\n"
    assert html is not None and "<b>green</b>" in html.get_content()
    (attachment,) = parsed.iter_attachments()
    assert attachment.get_filename() == "report.bin"
    assert attachment.get_content() == payload


def test_wait_for_messages_times_out(smtp_server: SmtpServer) -> None:
    with pytest.raises(TimeoutError, match="expected 1 message"):
        smtp_server.wait_for_messages(1, timeout=0.05)


@pytest.mark.usefixtures("smtp_server_session")  # skips/fails like the others without aiosmtpd
def test_cli_spools_messages(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.services.smtp_server",
            "--submission-port",
            "0",
            "--tls-port",
            "0",
            "--user",
            "u:p:with:colons",
            "--spool",
            str(spool),
            "--tls-dir",
            str(tmp_path / "tls"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        context = ssl.create_default_context(cafile=ready["ca_cert"])
        with smtplib.SMTP("localhost", ready["submission_port"], timeout=TIMEOUT) as client:
            client.starttls(context=context)
            client.login("u", "p:with:colons")
            client.send_message(_message(Bcc="hidden@example.org"))
        with smtplib.SMTP_SSL(
            "127.0.0.1", ready["tls_port"], timeout=TIMEOUT, context=context
        ) as client:
            client.send_message(_message(subject="second"))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=TIMEOUT) == 0

    first = json.loads((spool / "1.json").read_text())
    assert first["rcpt_tos"] == ["dev@example.org", "hidden@example.org"]
    assert (first["tls"], first["auth_user"], first["listener"]) == (True, "u", "submission")
    assert b"Subject: Deploy succeeded" in (spool / "1.eml").read_bytes()
    second = json.loads((spool / "2.json").read_text())
    assert (second["listener"], second["auth_user"], second["subject"]) == ("tls", None, "second")
