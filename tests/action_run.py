"""Run an action in-process the way a runner does, and read back what it reported.

Inputs go through ``SHIPYARD_INPUT_*`` (as action.yml maps them); outputs and the summary go to
files that are parsed back exactly as the runner parses GITHUB_OUTPUT.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.runtime import ActionContext, ActionSpec, Outcome, Runner, run_action


def parse_file_commands(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT / GITHUB_ENV the way the runner does: ``key<<DELIM ... DELIM``."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        key, delimiter = lines[i].split("<<", 1)
        i += 1
        body = []
        while lines[i] != delimiter:
            body.append(lines[i])
            i += 1
        values[key] = "\n".join(body)
        i += 1
    return values


@dataclass
class ActionRun:
    """What one in-process run reported."""

    code: int
    log: str
    outputs: dict[str, str]
    summary: str

    @property
    def visible(self) -> str:
        """Everything a reader could see: the log (but the mask commands), summary, outputs."""
        log = "\n".join(
            line for line in self.log.splitlines() if not line.startswith("::add-mask::")
        )
        return log + self.summary + json.dumps(self.outputs)

    def annotations(self, level: str) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith(f"::{level}")]


def run_in_process(
    spec: ActionSpec,
    function: Callable[[ActionContext[Any]], Outcome | None],
    tmp_path: Path,
    inputs: Mapping[str, str],
    env: Mapping[str, str],
) -> ActionRun:
    """Run ``function`` under ``spec`` with ``env`` (the runner's variables) and ``inputs``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("out", "summary.md"):
        (tmp_path / name).write_text("")
    full_env = {
        "GITHUB_ACTIONS": "true",
        **env,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **{spec.input(name).env_name: value for name, value in inputs.items()},
    }
    stream = io.StringIO()
    code = run_action(spec, function, [], env=full_env, runner=Runner(env=full_env, stream=stream))
    return ActionRun(
        code=code,
        log=stream.getvalue(),
        outputs=parse_file_commands((tmp_path / "out").read_text()),
        summary=(tmp_path / "summary.md").read_text(),
    )
