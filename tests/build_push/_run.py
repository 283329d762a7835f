"""Run the build-push action in-process, as a runner would, and read back what it reported."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.build_push.__main__ import run
from shipyard.build_push.registry import Credentials, RegistryClient
from shipyard.build_push.spec import SPEC
from shipyard.runtime import HttpClient, RetryPolicy, Runner, run_action
from tests.runtime.test_commands import parse_file_commands
from tests.services.registry import Registry

SHA = "0123456789abcdef0123456789abcdef01234567"
PR_HEAD = "fedcba9876543210fedcba9876543210fedcba98"
_STRIPPED = ("GITHUB_", "RUNNER_", "INPUT_", "SHIPYARD_INPUT_", "ACTIONS_", "STATE_")


@dataclass
class ActionRun:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str

    @property
    def digest(self) -> str:
        return self.outputs.get("digest", "")

    @property
    def platform_digests(self) -> dict[str, str]:
        data: dict[str, str] = json.loads(self.outputs.get("platform-digests") or "{}")
        return data

    @property
    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.outputs.get("metadata") or "{}")
        return data

    @property
    def tags(self) -> list[str]:
        return [line for line in self.outputs.get("tags", "").splitlines() if line]

    def annotations(self, level: str) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith(f"::{level}")]

    @property
    def visible(self) -> str:
        log = "\n".join(
            line for line in self.log.splitlines() if not line.startswith("::add-mask::")
        )
        return log + self.summary + json.dumps(self.outputs)


def event_payload(event: str, ref: str, sha: str, pr: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "repository": {
            "name": "app",
            "full_name": "your-org/app",
            "default_branch": "main",
            "html_url": "https://github.com/your-org/app",
            "description": "The sample app",
            "license": {"spdx_id": "MIT"},
        },
        "sender": {"login": "octocat"},
    }
    if pr is not None:
        payload["number"] = pr
        payload["pull_request"] = {
            "number": pr,
            "head": {"sha": PR_HEAD, "ref": "feature/login"},
            "base": {"ref": "main"},
        }
    elif event == "push":
        payload.update(ref=ref, after=sha)
    return payload


def run_build_push(
    tmp_path: Path,
    workspace: Path,
    inputs: dict[str, str],
    *,
    event: str = "push",
    ref: str = "refs/heads/main",
    sha: str = SHA,
    pr: int | None = None,
    env: dict[str, str] | None = None,
) -> ActionRun:
    """Inputs by action.yml name go through SHIPYARD_INPUT_*, as action.yml maps them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("out", "summary.md"):
        (tmp_path / name).write_text("")
    (tmp_path / "runner-temp").mkdir(exist_ok=True)
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event_payload(event, ref, sha, pr)))
    base = {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED)}
    full_env = {
        **base,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "your-org/app",
        "GITHUB_SHA": sha,
        "GITHUB_REF": ref,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_ACTOR": "octocat",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_NUMBER": "17",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        **{SPEC.input(name).env_name: value for name, value in inputs.items()},
        **(env or {}),
    }
    stream = io.StringIO()
    code = run_action(SPEC, run, [], env=full_env, runner=Runner(env=full_env, stream=stream))
    return ActionRun(
        code=code,
        log=stream.getvalue(),
        outputs=parse_file_commands((tmp_path / "out").read_text()),
        summary=(tmp_path / "summary.md").read_text(),
    )


def registry_api(registry: Registry, address: str | None = None) -> RegistryClient:
    """Our registry client, logged in to the test registry, for assertions."""
    http = HttpClient(timeout=30, retry=RetryPolicy(attempts=2, backoff=0.1))
    where = address or registry.address
    return RegistryClient(
        http, where, f"http://{where}", Credentials(registry.username, registry.password)
    )
