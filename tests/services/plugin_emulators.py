"""Pytest fixtures for the Slack and GitHub emulators.

Each emulator runs once per session on ``127.0.0.1:<free port>``; the function-scoped fixtures
``slack_emulator`` and ``github_emulator`` reset it to its empty baseline before the test and
hand it over, so tests never see each other's messages, issues, faults or requests. Use the
``*_session`` fixtures only to share state across tests on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services._require import unavailable
from tests.services.github_emulator import GitHubEmulator
from tests.services.slack_emulator import SlackEmulator


@pytest.fixture(scope="session")
def slack_emulator_session() -> Iterator[SlackEmulator]:
    """The session's Slack emulator, never reset by this fixture."""
    try:
        emulator = SlackEmulator().start()
    except OSError as exc:
        unavailable("Slack emulator", f"{type(exc).__name__}: {exc}")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def slack_emulator(slack_emulator_session: SlackEmulator) -> SlackEmulator:
    """The Slack emulator, reset: token ``DEFAULT_TOKEN`` only, no channels or messages."""
    slack_emulator_session.reset()
    return slack_emulator_session


@pytest.fixture(scope="session")
def github_emulator_session() -> Iterator[GitHubEmulator]:
    """The session's GitHub emulator, never reset by this fixture."""
    try:
        emulator = GitHubEmulator().start()
    except OSError as exc:
        unavailable("GitHub emulator", f"{type(exc).__name__}: {exc}")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def github_emulator(github_emulator_session: GitHubEmulator) -> GitHubEmulator:
    """The GitHub emulator, reset: no users, repos or requests; full rate limit."""
    github_emulator_session.reset()
    return github_emulator_session
