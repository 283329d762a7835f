"""The runbook pipelines (examples/<runbook>/) end to end under act, on the test bed.

Each test runs an example caller as users would have it in their repository (the sample app at
the root, or in the folder the runbook uses), with ``your-org/actions@v1`` resolving to this
checkout, so ``uses: your-org/actions/.github/workflows/<name>.yml@v1`` runs our reusable
workflows and they run our actions. What differs from GitHub comes in through ``vars`` (the
registry, the base image, the Slack and SMTP servers, the hosts), as the examples' README says.

Tests whose pipeline needs an action that is written on another branch (lint, audit, deploy)
run once that action's package is in the checkout: ``needs_actions(...)`` skips them, naming the
missing package, only while the package does not exist (``importlib.util.find_spec``). Once it
exists the test runs, and under CI=true a missing service then fails it as everywhere else.

Third-party actions that only work on GitHub (``actions/setup-python``,
``github/codeql-action/upload-sarif``) are skipped by the workflows under act
(``if: ${{ !env.ACT }}``); act still resolves them before the job starts, so the harness is
given a local stand-in for each that fails if it is ever run.
"""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.build_push._run import registry_api
from tests.e2e.act import ActHarness, ActRun
from tests.services._common import run as run_command
from tests.services.base_images import inspect_platforms
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SAMPLE_APP = EXAMPLES / "sample-app"
REPO = "your-org/app"  # the harness's caller repository
APPROVAL_TOKEN = "ghp_shipyard_pipeline_approvals"
#: Third-party actions the reusable workflows pin, each skipped under act.
GITHUB_ONLY_ACTIONS = {
    "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": "",
    "github/codeql-action@8aad20d150bbac5944a9f9d289da16a4b0d87c1e": "upload-sarif",
}
STAND_IN = """\
name: stand-in for {name}
description: Only GitHub runs this action; under act the workflows skip it. Failing if run.
inputs:
{inputs}
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "{name} must be skipped under act" >&2; exit 1
"""


def needs_actions(*actions: str) -> None:
    """Skip while an action's package is not in this checkout (written on another branch)."""
    missing = [a for a in actions if importlib.util.find_spec(f"shipyard.{a}") is None]
    if missing:
        pytest.skip(f"the {', '.join(missing)} action is not in this checkout yet")


def sample_app_files(prefix: str = "") -> dict[str, str]:
    """The sample app as files of the caller repository, under ``prefix``."""
    listed = run_command(
        ["git", "-C", str(SAMPLE_APP), "ls-files", "--cached", "--others", "--exclude-standard"],
        timeout=30,
    )
    assert listed.returncode == 0, listed.stderr
    names = sorted(line for line in listed.stdout.splitlines() if (SAMPLE_APP / line).is_file())
    assert "Dockerfile" in names and "app/server.py" in names, names
    return {f"{prefix}{name}": (SAMPLE_APP / name).read_text(encoding="utf-8") for name in names}


def example(runbook: str, name: str) -> tuple[str, str]:
    """An example caller's text and its file name."""
    path = EXAMPLES / runbook / name
    return path.read_text(encoding="utf-8"), name


@pytest.fixture
def pipeline_act(act: ActHarness, tmp_path: Path) -> ActHarness:
    """The session harness plus the stand-ins for GitHub-only actions."""
    clone = act.with_workdir(act.workdir)
    repos = dict(act.local_repositories)
    for ref, subdir in GITHUB_ONLY_ACTIONS.items():
        name = ref.split("@")[0] + (f"/{subdir}" if subdir else "")
        folder = tmp_path / "stand-ins" / ref.replace("/", "-").replace("@", "-")
        target = folder / subdir if subdir else folder
        target.mkdir(parents=True)
        inputs = "  sarif_file: {required: false}\n  category: {required: false}\n"
        if "setup-python" in ref:
            inputs = "  python-version: {required: false}\n"
        (target / "action.yml").write_text(STAND_IN.format(name=name, inputs=inputs))
        repos[ref] = folder
    clone.local_repositories = {k: Path(v).resolve() for k, v in repos.items()}
    return clone


_CREATED: list[str] = []


@pytest.fixture(autouse=True)
def remove_local_images() -> Iterator[None]:
    """The docker driver keeps what it builds in the engine's store: remove this test's."""
    yield
    docker = shutil.which("docker")
    names, _CREATED[:] = list(_CREATED), []
    if docker is None or not names:
        return
    listed = run_command([docker, "image", "ls", "--format", "{{.Repository}} {{.ID}}"], timeout=60)
    refs = sorted(
        {line.split()[1] for line in listed.stdout.splitlines() if line.split()[0] in names}
    )
    if refs:
        run_command([docker, "image", "rm", "--force", *refs], timeout=120)


def image_settings(
    registry: Registry, base: PythonImage, name: str
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A fresh image name in the test registry, the vars and the secrets pointing at it."""
    image = f"{registry.address}/pipelines/{name}-{secrets.token_hex(3)}"
    _CREATED.append(image)
    variables = {
        "IMAGE": image,
        "REGISTRY_USERNAME": registry.username,
        "BASE_IMAGE": base.ref,
    }
    logins = f"{registry.address}={registry.username}:{registry.password}"
    return image, variables, {"REGISTRY_PASSWORD": registry.password, "REGISTRY_LOGINS": logins}


def job_results(run: ActRun) -> dict[str, str]:
    return {key: job.result for key, job in run.jobs.items()}


# ------------------------------------------------------------------ release (build-push only)


@pytest.mark.usefixtures("buildx", "qemu_arm64")
def test_ecommerce_docker_release_pushes_two_platforms_with_latest_and_sha(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage
) -> None:
    image, variables, secret = image_settings(registry, python_base_image, "ecommerce")
    text, name = example("ecommerce", "docker-release.yml")
    run = pipeline_act(
        text,
        workflow_file=name,
        vars=variables,
        secrets=secret,
        files=sample_app_files("backend/"),
    )
    build = run.job("release/build")
    assert build.result == "success", run.describe()
    short = run.sha[:7]
    step = build.step("image")
    assert step.outputs["tags"].splitlines() == [f"{image}:latest", f"{image}:sha-{short}"]
    assert inspect_platforms(f"{image}:latest", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    repository = image.split("/", 1)[1]
    # the runbook's tags, plus build-push's per-platform tags that the index joins
    assert sorted(registry_api(registry).tags(repository)) == [
        "latest",
        f"sha-{short}",
        f"sha-{short}-linux-amd64",
        f"sha-{short}-linux-arm64",
    ]
    digest = step.outputs["digest"]
    assert registry_api(registry).manifest(repository, "latest").digest == digest  # type: ignore[union-attr]
    # the summary job lists them; no GitHub Release off a tag
    summary = run.job("release/summary")
    assert summary.result == "success"
    assert f"| digest | `{digest}` |" in summary.summary
    assert run.jobs["release/github-release"].result == "skipped"
    # the image answers with its version (build-push's BUILD_VERSION)
    answer = run_command(
        ["docker", "run", "--rm", "--platform", "linux/arm64", f"{image}:sha-{short}",
         "python3", "-c", "import os; print(os.environ['APP_VERSION'])"],
        env=registry.docker_env(), timeout=180,
    )  # fmt: skip
    assert answer.stdout.strip() == f"sha-{short}", answer.stderr


# -------------------------------------------------------- production approval (approval, notify)


def production_job() -> dict[str, Any]:
    doc = yaml.safe_load((EXAMPLES / "platform" / "production-deploy.yml").read_text())
    job = doc["jobs"]["production"]
    assert job["uses"] == "your-org/actions/.github/workflows/deploy.yml@v1"
    return dict(job["with"])


def approval_stage_caller() -> str:
    """platform/production-deploy.yml's approval stage: deploy.yml's first job
    (approval-gate.yml) with the production job's settings, as deploy.yml passes them."""
    prod = production_job()
    gate = {
        "approvers": prod["approvers"],
        "minimum-approvals": prod["minimum-approvals"],
        "environment": prod["environment"],
        "version": prod["version"],
        "next": f"Deploying {prod['app']} to {prod['environment']}",
        "poll-interval": prod["approval-poll-interval"],
        "slack-channel": prod["slack-channel"],
        "slack-api-url": prod["slack-api-url"],
    }
    workflow = {
        "name": "Production deploy",
        "on": {"push": {"tags": ["v*.*.*"]}},
        "permissions": {},
        "jobs": {
            "production": {
                "uses": "your-org/actions/.github/workflows/approval-gate.yml@v1",
                "permissions": {"issues": "write"},
                "with": gate,
                "secrets": {
                    "APPROVAL_TOKEN": "${{ secrets.APPROVAL_TOKEN }}",
                    "SLACK_TOKEN": "${{ secrets.SLACK_BOT_TOKEN }}",
                },
            }
        },
    }
    return yaml.safe_dump(workflow, sort_keys=False)


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    emu = github_emulator
    emu.add_user("shipyard-bot", token=APPROVAL_TOKEN)
    emu.add_repo(
        REPO,
        collaborators={"shipyard-bot": "write", "bob": "write", "carol": "write", "dana": "write"},
    )
    emu.add_user("octocat")  # the harness's actor: the initiator, who cannot approve
    return emu


def when_issue_exists(gh: GitHubEmulator, then: Callable[[], None], timeout: float = 300) -> None:
    """Wait (in a thread) until the pipeline opened issue #1, then act as people would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gh.issues(REPO):
            then()
            return
        time.sleep(0.2)


def approve_by_two(gh: GitHubEmulator, slack: SlackEmulator, channel: str) -> threading.Thread:
    """Two approvers answer once the issue exists and its Slack message links it."""

    def people() -> None:
        deadline = time.monotonic() + 60
        while not slack.messages(channel) and time.monotonic() < deadline:
            time.sleep(0.2)  # the message with the link comes before the wait
        gh.comment(REPO, 1, "octocat", "approve")  # the initiator: not counted
        gh.comment(REPO, 1, "bob", "approve")
        time.sleep(1.5)  # a poll in between: one approval is not enough
        gh.comment(REPO, 1, "carol", "LGTM")

    thread = threading.Thread(target=lambda: when_issue_exists(gh, people), daemon=True)
    thread.start()
    return thread


def test_production_approval_needs_two_approvers_and_updates_one_slack_message(
    pipeline_act: ActHarness, gh: GitHubEmulator, slack_emulator: SlackEmulator
) -> None:
    channel = slack_emulator.add_channel("#deploys")
    thread = approve_by_two(gh, slack_emulator, channel)
    run = pipeline_act(
        approval_stage_caller(),
        ref="refs/tags/v1.4.0",
        secrets={"APPROVAL_TOKEN": APPROVAL_TOKEN, "SLACK_BOT_TOKEN": DEFAULT_TOKEN},
        vars={
            "APPROVERS": "bob, carol, dana, octocat",
            "SLACK_API_URL": slack_emulator.api_url,
            "APPROVAL_POLL_INTERVAL": "1s",
        },
        env={"GITHUB_API_URL": gh.api_v3_url},
        workflow_file="production-deploy.yml",
    )
    thread.join(timeout=10)
    approve = run.job("production/approve")
    assert approve.result == "success", run.describe()
    wait = approve.step("wait")
    assert wait.outputs["status"] == "approved"
    assert wait.outputs["approved-by"] == "bob,carol"

    issue = gh.issue(REPO, 1)
    assert issue["title"] == "Approval needed: Deploying platform to production (v1.4.0)"
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")

    (message,) = slack_emulator.messages(channel)  # one message, updated
    first, *_ = message["history"]
    assert "waits for 2 approval(s)" in first["text"]
    assert issue["html_url"] in json.dumps(first)  # the link, before anyone waited
    assert message["text"].endswith("Deploying platform to production")
    assert "Approved by bob,carol" in json.dumps(message)
    assert approve.step("waiting").outputs["slack-ts"] == message["ts"]
    everything = run.text + run.summary
    assert APPROVAL_TOKEN not in everything and DEFAULT_TOKEN not in everything
    assert not re.search(r"Traceback", everything)
