"""Run the build-push action in-process, as a runner would, and read back what it reported."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from shipyard.build_push.__main__ import run
from shipyard.build_push.registry import Credentials, RegistryClient
from shipyard.build_push.spec import SPEC
from shipyard.runtime import HttpClient, RetryPolicy
from tests.action_run import ActionRun, run_in_process
from tests.services.registry import Registry

SHA = "0123456789abcdef0123456789abcdef01234567"
PR_HEAD = "fedcba9876543210fedcba9876543210fedcba98"
_STRIPPED = ("GITHUB_", "RUNNER_", "INPUT_", "SHIPYARD_INPUT_", "ACTIONS_", "STATE_")


class BuildPushRun(ActionRun):
    """What a build-push run reported, with its outputs decoded."""

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
) -> BuildPushRun:
    """Inputs by action.yml name go through SHIPYARD_INPUT_*, as action.yml maps them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "runner-temp").mkdir(exist_ok=True)
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event_payload(event, ref, sha, pr)))
    base = {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED)}
    full_env = {
        **base,
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
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        **(env or {}),
    }
    done = run_in_process(SPEC, run, tmp_path, inputs, full_env)
    return BuildPushRun(done.code, done.log, done.outputs, done.summary)


def registry_api(registry: Registry, address: str | None = None) -> RegistryClient:
    """Our registry client, logged in to the test registry, for assertions."""
    http = HttpClient(timeout=30, retry=RetryPolicy(attempts=2, backoff=0.1))
    where = address or registry.address
    return RegistryClient(
        http, where, f"http://{where}", Credentials(registry.username, registry.password)
    )
