"""Run the notify action in-process, as a runner would, and read back what it reported."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

from shipyard.notify.__main__ import run
from shipyard.notify.spec import SPEC
from shipyard.runtime import Runner, run_action
from tests.runtime.test_commands import parse_file_commands

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


@dataclass
class NotifyRun:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str

    @property
    def results(self) -> dict[str, str]:
        parsed: dict[str, str] = json.loads(self.outputs["results"])
        return parsed

    @property
    def visible(self) -> str:
        """Everything a reader could see: log (but the mask commands), summary, outputs."""
        log = "\n".join(
            line for line in self.log.splitlines() if not line.startswith("::add-mask::")
        )
        return log + self.summary + json.dumps(self.outputs)

    def annotations(self, level: str) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith(f"::{level}")]


def run_notify(tmp_path: Path, inputs: dict[str, str], **env: str) -> NotifyRun:
    """Inputs by action.yml name go through SHIPYARD_INPUT_*, as action.yml maps them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("out", "summary.md"):
        (tmp_path / name).write_text("")
    full_env = {
        **GITHUB_ENV,
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **{SPEC.input(name).env_name: value for name, value in inputs.items()},
        **env,
    }
    stream = io.StringIO()
    code = run_action(SPEC, run, [], env=full_env, runner=Runner(env=full_env, stream=stream))
    return NotifyRun(
        code=code,
        log=stream.getvalue(),
        outputs=parse_file_commands((tmp_path / "out").read_text()),
        summary=(tmp_path / "summary.md").read_text(),
    )
