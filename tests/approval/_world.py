"""A small GitHub for the approval tests, and a way to run the action in-process against it.

The world: organization ``your-org`` with repository ``your-org/shop`` (this run's
repository), the bot ``shipyard-bot`` whose token the action uses (a member of ``your-org``:
GitHub shows an organization's teams only to its members), the initiator ``alice``
(GITHUB_ACTOR), approvers ``bob`` and ``carol``, team ``your-org/approvers`` (``dave``,
``erin``) and an outsider, ``mallory``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.approval.__main__ import make_run
from shipyard.approval.spec import SPEC
from shipyard.runtime.retry import Clock, SystemClock
from shipyard.runtime.retry import FakeClock as RuntimeFakeClock
from tests.action_run import ActionRun, run_in_process
from tests.services.github_emulator import GitHubEmulator

TOKEN = "ghp_shipyard_approval_bot_token"
REPO = "your-org/shop"
SHA = "0123456789abcdef0123456789abcdef01234567"

GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": REPO,
    "GITHUB_REF": "refs/tags/v1.4.0",
    "GITHUB_REF_NAME": "v1.4.0",
    "GITHUB_ACTOR": "alice",
    "GITHUB_TRIGGERING_ACTOR": "alice",
    "GITHUB_WORKFLOW": "Release",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_RUN_NUMBER": "17",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_EVENT_NAME": "push",
}


def make_world(emu: GitHubEmulator) -> GitHubEmulator:
    emu.add_user("shipyard-bot", token=TOKEN, name="Shipyard Bot")
    emu.add_org("your-org", members=["shipyard-bot"])
    emu.add_team("your-org", "approvers", members=["dave", "erin"])
    emu.add_repo(
        REPO,
        collaborators={"shipyard-bot": "write", "alice": "write", "bob": "write", "carol": "write"},
    )
    emu.add_user("mallory")
    # the workflow run that asks (GITHUB_RUN_ID): check mode reads its actors by its id
    emu.add_run(REPO, 4242, actor="alice", workflow=".github/workflows/release.yml")
    return emu


class FakeClock(RuntimeFakeClock):
    """Time that passes only when the action sleeps, starting now (so it also serves as the
    wall clock); ``on_sleep(n)`` runs at the n-th sleep, which is where a test makes people
    comment "while the action waits"."""

    def __init__(self, on_sleep: Callable[[int], None] | None = None) -> None:
        super().__init__(time.time())
        self.on_sleep = on_sleep

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))


def at_sleep(steps: dict[int, Callable[[], Any]]) -> Callable[[int], None]:
    """An ``on_sleep`` that runs ``steps[n]`` at the n-th sleep."""

    def run(n: int) -> None:
        if n in steps:
            steps[n]()

    return run


@dataclass
class ApprovalRun(ActionRun):
    clock: Clock | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run_approval(
    tmp_path: Path,
    emu: GitHubEmulator,
    inputs: dict[str, str],
    *,
    clock: Clock | None = None,
    event: dict[str, Any] | None = None,
    event_name: str | None = None,
    api_url: str | None = None,
    **env: str,
) -> ApprovalRun:
    """Run the action as a runner would: inputs through SHIPYARD_INPUT_*, files for outputs
    and summary; a FakeClock unless one is given."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    extra: dict[str, str] = {}
    if event is not None:
        (tmp_path / "event.json").write_text(json.dumps(event))
        extra["GITHUB_EVENT_PATH"] = str(tmp_path / "event.json")
    if event_name:
        extra["GITHUB_EVENT_NAME"] = event_name
    full_env = {
        **GITHUB_ENV,
        "GITHUB_SHA": SHA,
        "GITHUB_API_URL": api_url or emu.url,
        "GITHUB_WORKSPACE": str(tmp_path),
        "SHIPYARD_INPUT_TOKEN": TOKEN,
        **extra,
        **env,
    }
    clock = clock if clock is not None else FakeClock()
    epoch = clock.now if isinstance(clock, FakeClock) else time.time
    done = run_in_process(SPEC, make_run(clock, epoch), tmp_path, inputs, full_env)
    return ApprovalRun(done.code, done.log, done.outputs, done.summary, clock=clock)


__all__ = [
    "REPO",
    "SHA",
    "TOKEN",
    "ApprovalRun",
    "FakeClock",
    "SystemClock",
    "at_sleep",
    "make_world",
    "run_approval",
]
