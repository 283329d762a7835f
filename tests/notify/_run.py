"""Run the notify action in-process, as a runner would, and read back what it reported."""

from __future__ import annotations

import json
from pathlib import Path

from shipyard.notify.__main__ import run
from shipyard.notify.spec import SPEC
from tests.action_run import ActionRun, run_in_process

GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "your-org/shop",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_ACTOR": "alice",
    "GITHUB_WORKFLOW": "Release",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_RUN_NUMBER": "17",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_EVENT_NAME": "push",
}


class NotifyRun(ActionRun):
    @property
    def results(self) -> dict[str, str]:
        parsed: dict[str, str] = json.loads(self.outputs["results"])
        return parsed


def run_notify(tmp_path: Path, inputs: dict[str, str], **env: str) -> NotifyRun:
    """Run notify with a realistic GitHub context; inputs by their action.yml names."""
    env = {**GITHUB_ENV, "GITHUB_WORKSPACE": str(tmp_path), **env}
    done = run_in_process(SPEC, run, tmp_path, inputs, env)
    return NotifyRun(done.code, done.log, done.outputs, done.summary)
