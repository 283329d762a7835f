"""Helpers for running the runbook pipelines (examples/<runbook>/) under act, shared by
tests/e2e/test_runbook_*_act.py and scripts/demo_pipeline.py."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.services.github_emulator import GitHubEmulator
from tests.services.slack_emulator import SlackEmulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SAMPLE_APP = EXAMPLES / "sample-app"
REPO = "your-org/app"  # the act harness's caller repository
#: Third-party actions the reusable workflows pin and skip under act (``if: !env.ACT``), with
#: the folder of the action inside its repository.
GITHUB_ONLY_ACTIONS = {
    "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": "",
    "github/codeql-action@8aad20d150bbac5944a9f9d289da16a4b0d87c1e": "upload-sarif",
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": "",
}
_INPUTS = {
    "actions/setup-python": "  python-version: {required: false}\n",
    "github/codeql-action": "  sarif_file: {required: false}\n  category: {required: false}\n",
    "actions/upload-artifact": "".join(
        f"  {name}: {{required: false}}\n"
        for name in ("name", "path", "retention-days", "if-no-files-found")
    ),
}
STAND_IN = """\
name: stand-in for {name}
description: Only GitHub runs this action; under act the workflows skip it. Failing if run.
inputs:
{inputs}runs:
  using: composite
  steps:
    - shell: bash
      run: echo "{name} must be skipped under act" >&2; exit 1
"""


def stand_in_repositories(directory: Path) -> dict[str, Path]:
    """``--local-repository`` entries for the GitHub-only actions: act resolves every action
    of a job before it starts, even a skipped one; each stand-in fails if it is ever run."""
    repos: dict[str, Path] = {}
    for ref, subdir in GITHUB_ONLY_ACTIONS.items():
        repo = ref.split("@")[0]
        name = repo + (f"/{subdir}" if subdir else "")
        folder = directory / ref.replace("/", "-").replace("@", "-")
        target = folder / subdir if subdir else folder
        target.mkdir(parents=True, exist_ok=True)
        (target / "action.yml").write_text(STAND_IN.format(name=name, inputs=_INPUTS[repo]))
        repos[ref] = folder.resolve()
    return repos


def sample_app_files(prefix: str = "") -> dict[str, str]:
    """The sample app (its tracked and untracked, not ignored files) as files of the caller
    repository, under ``prefix``."""
    listed = subprocess.run(
        ["git", "-C", str(SAMPLE_APP), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    names = sorted(line for line in listed.stdout.splitlines() if (SAMPLE_APP / line).is_file())
    if "Dockerfile" not in names or "app/server.py" not in names:
        raise RuntimeError(f"the sample app is incomplete: {names}")
    return {f"{prefix}{name}": (SAMPLE_APP / name).read_text(encoding="utf-8") for name in names}


def example(runbook: str, name: str) -> tuple[str, str]:
    """An example caller's text and its file name."""
    path = EXAMPLES / runbook / name
    return path.read_text(encoding="utf-8"), name


def when_issue_exists(
    gh: GitHubEmulator, then: Callable[[], None], timeout: float = 900, number: int = 1
) -> None:
    """Wait until the pipeline opened issue ``number``, then act as people would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(gh.issues(REPO)) >= number:
            then()
            return
        time.sleep(0.2)


def approve_by_two(
    gh: GitHubEmulator,
    slack: SlackEmulator,
    channel: str,
    issue: int = 1,
    approvers: tuple[str, str] = ("bob", "carol"),
    after: Callable[[], object] | None = None,
) -> threading.Thread:
    """In a thread: once issue ``issue`` exists and a Slack message links it, the initiator
    tries to approve (not counted), then two approvers answer, a poll apart; then ``after``."""

    def people() -> None:
        deadline = time.monotonic() + 60
        while len(slack.messages(channel)) < issue and time.monotonic() < deadline:
            time.sleep(0.2)  # the message with the link comes before the wait
        gh.comment(REPO, issue, "octocat", "approve")  # the initiator: not counted
        gh.comment(REPO, issue, approvers[0], "approve")
        time.sleep(1.5)  # a poll in between: one approval is not enough
        gh.comment(REPO, issue, approvers[1], "LGTM")
        if after is not None:
            after()

    thread = threading.Thread(
        target=lambda: when_issue_exists(gh, people, number=issue), daemon=True
    )
    thread.start()
    return thread
