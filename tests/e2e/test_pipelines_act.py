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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.build_push._run import registry_api
from tests.e2e.act import ActHarness, ActRun
from tests.e2e.images import track
from tests.e2e.pipelines import (
    EXAMPLES,
    REPO,
    approve_by_two,
    example,
    sample_app_files,
    stand_in_repositories,
)
from tests.services._common import run as run_command
from tests.services.base_images import inspect_platforms
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("remove_local_images")
APPROVAL_TOKEN = "ghp_shipyard_pipeline_approvals"


def needs_actions(*actions: str) -> None:
    """Skip while an action's package is not in this checkout (written on another branch)."""
    missing = [a for a in actions if importlib.util.find_spec(f"shipyard.{a}") is None]
    if missing:
        pytest.skip(f"the {', '.join(missing)} action is not in this checkout yet")


@pytest.fixture
def pipeline_act(act: ActHarness, tmp_path: Path) -> ActHarness:
    """The session harness plus the stand-ins for GitHub-only actions."""
    clone = act.with_workdir(act.workdir)
    clone.local_repositories = {
        **act.local_repositories,
        **stand_in_repositories(tmp_path / "stand-ins"),
    }
    return clone


def image_settings(
    registry: Registry, base: PythonImage, name: str
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A fresh image name in the test registry, the vars and the secrets pointing at it."""
    image = track(f"{registry.address}/pipelines/{name}-{secrets.token_hex(3)}")
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


@pytest.mark.usefixtures("buildx", "qemu_arm64")
def test_ecommerce_docker_release_on_a_tag_publishes_a_github_release(
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    github_emulator: GitHubEmulator,
) -> None:
    """docker-release.yml on a v* tag (the GitHub Release on, as the example has it): the
    semver tags, then release.yml's GitHub Release job creates the release for the tag in the
    GitHub emulator with the job token, its body naming the image digest and tags."""
    gh = github_emulator
    gh.add_user("shipyard-bot", token=APPROVAL_TOKEN)
    gh.add_repo(REPO, collaborators={"shipyard-bot": "write"})
    image, variables, secret = image_settings(registry, python_base_image, "ecommerce-tag")
    text, name = example("ecommerce", "docker-release.yml")
    run = pipeline_act(
        text,
        workflow_file=name,
        ref="refs/tags/v1.2.0",
        vars=variables,
        secrets={**secret, "GITHUB_TOKEN": APPROVAL_TOKEN},  # the job token: github.token
        env={"GITHUB_API_URL": gh.api_v3_url},
        files=sample_app_files("backend/"),
    )
    build = run.job("release/build")
    assert build.result == "success", run.describe()
    tags = build.step("image").outputs["tags"].splitlines()
    assert tags == [f"{image}:{t}" for t in ("1.2.0", "1.2", "1", "latest")]
    digest = build.step("image").outputs["digest"]
    job = run.job("release/github-release")
    assert job.result == "success", run.describe()

    (release,) = gh.releases(REPO)
    assert (release["tag_name"], release["name"]) == ("v1.2.0", "v1.2.0")
    assert not release["draft"] and not release["prerelease"]
    assert release["author"]["login"] == "shipyard-bot"
    body = release["body"]
    assert body.startswith(f"Image digest `{digest}`\n\n")
    assert [line for line in body.splitlines() if line.startswith("- ")] == [
        f"- `{tag}`" for tag in tags
    ]
    assert body.endswith(f"**Full Changelog**: {gh.url}/{REPO}/commits/v1.2.0")  # generated
    (create,) = gh.requests_to(f"/repos/{REPO}/releases", "POST")
    assert create.authorization == f"Bearer {APPROVAL_TOKEN}"
    assert create.status == 201
    assert f"GitHub Release v1.2.0 (release id {release['id']})" in job.summary
    assert release["html_url"] in job.text
    assert APPROVAL_TOKEN not in run.text + run.summary


FAN_OUT = """
name: Release
on:
  push:
    tags: ["v*.*.*"]
permissions: {}
jobs:
  release:
    uses: your-org/actions/.github/workflows/release.yml@v1
    permissions:
      contents: write
      packages: write
    with:
      image: ${{ vars.IMAGE }}
      build-args: BASE_IMAGE=${{ vars.BASE_IMAGE }}
      registry-username: ${{ vars.REGISTRY_USERNAME }}
      fan-out: true
      runners: '[{"platform": "linux/amd64", "runner": "ubuntu-24.04"},
                 {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm"}]'
    secrets:
      REGISTRY_PASSWORD: ${{ secrets.REGISTRY_PASSWORD }}
  show:
    needs: release
    runs-on: ubuntu-latest
    steps:
      - env:
          DIGEST: ${{ needs.release.outputs.digest }}
          VERSION: ${{ needs.release.outputs.version }}
        run: echo "release $VERSION $DIGEST"
"""


@pytest.mark.usefixtures("buildx", "qemu_arm64")
def test_release_fan_out_builds_each_platform_then_merges_the_semver_tags(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage
) -> None:
    image, variables, secret = image_settings(registry, python_base_image, "fanout")
    run = pipeline_act(
        FAN_OUT,
        ref="refs/tags/v2.1.0",
        vars=variables,
        secrets={"REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"]},
        files=sample_app_files(),
        extra_args=["-P", "ubuntu-24.04-arm=-self-hosted"],
    )
    platforms = [job for key, job in run.jobs.items() if key.startswith("release/platform")]
    assert [job.result for job in platforms] == ["success", "success"], run.describe()
    assert run.jobs["release/build"].result == "skipped"
    merge = run.job("release/merge")
    assert merge.result == "success", run.describe()
    tags = merge.step("image").outputs["tags"].splitlines()
    assert tags == [f"{image}:{t}" for t in ("2.1.0", "2.1", "2", "latest")]
    assert inspect_platforms(f"{image}:2.1.0", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    digest = merge.step("image").outputs["digest"]
    assert f"release 2.1.0 {digest}" in run.job("show").text
    assert f"| digest | `{digest}` |" in run.job("release/summary").summary


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


# ------------------------------------------- pipelines with lint, audit and deploy (merged later)

OSV_DB = ROOT / "tests" / "data" / "osv-pypi"  # the audit action's offline advisory mirror


def deploy_fixtures(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """The deploy action's test bed (its fixtures come with its package): a host and nginx."""
    return request.getfixturevalue("deploy_host"), request.getfixturevalue("smtp_server")


def lint_error(files: dict[str, str]) -> dict[str, str]:
    """The sample app with an unused import: ruff's F401 on app/server.py."""
    seeded = dict(files)
    seeded["app/server.py"] = seeded["app/server.py"].replace(
        "import json\n", "import json\nimport sys\n", 1
    )
    assert seeded["app/server.py"] != files["app/server.py"]
    return seeded


def test_platform_pr_checks_fail_on_a_lint_error_and_pass_when_fixed(
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    github_emulator: GitHubEmulator,
) -> None:
    """pr-checks.yml on a pull request: lint (ruff, ruff-format, hadolint on the changed
    files), audit gating on high, tests with coverage >= 80%, the Docker build check."""
    needs_actions("lint", "audit")
    github_emulator.add_repo(REPO)
    github_emulator.set_pull_files(REPO, 7, ["app/server.py"])
    _, variables, secret = image_settings(registry, python_base_image, "pr")
    text, name = example("platform", "pr-checks.yml")
    payload = {
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"sha": "c0ffee" + "0" * 34, "ref": "feature/x"},
            "base": {"sha": "b" * 40, "ref": "main"},
        },
    }

    def check(files: dict[str, str]) -> ActRun:
        return pipeline_act(
            text,
            workflow_file=name,
            event="pull_request",
            payload=payload,
            vars={**variables, "OSV_DB": str(OSV_DB)},
            secrets={"REGISTRY_LOGINS": secret["REGISTRY_LOGINS"]},
            env={"GITHUB_API_URL": github_emulator.api_v3_url},
            files=files,
        )

    seeded = check(lint_error(sample_app_files()))
    results = job_results(seeded)
    assert results["checks/lint"] == "failure", seeded.describe()
    errors = [a for a in seeded.annotations if a.level == "error"]
    assert any(a.file == "app/server.py" and "F401" in (a.title or "") + a.message for a in errors)
    assert (results["checks/test"], results["checks/audit"], results["checks/docker"]) == (
        "success",
        "success",
        "success",
    ), seeded.describe()

    fixed = check(sample_app_files())
    assert all(r == "success" for k, r in job_results(fixed).items() if k != "checks"), (
        fixed.describe()
    )
    assert "### Coverage:" in fixed.job("checks/test").summary


CI_EXAMPLES = [
    # (runbook, workflow, event, where the sample app lives in the caller repository)
    ("ecommerce", "backend-ci.yml", "push", "backend/"),
    ("ecommerce", "ai-services-ci.yml", "push", "ai-services/"),
    ("amani", "ci.yml", "push", ""),
    ("amani", "security-scan.yml", "push", ""),
    ("agentic", "ci.yml", "push", ""),
    ("company-app", "pipeline.yml", "pull_request", ""),
]


@pytest.mark.parametrize(
    ("runbook", "workflow", "event", "prefix"),
    CI_EXAMPLES,
    ids=[f"{r}/{w}" for r, w, *_ in CI_EXAMPLES],
)
def test_ci_examples_pass_on_the_sample_app(
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
    runbook: str,
    workflow: str,
    event: str,
    prefix: str,
) -> None:
    """Each runbook's CI (its linters, informational or not, the audit, the tests with
    coverage, the build check) is green on the sample app, which is clean for all of them."""
    needs_actions("lint", "audit")
    gh.set_pull_files(REPO, 3, ["app/server.py", "Dockerfile"])
    _, variables, secret = image_settings(registry, python_base_image, runbook)
    text, name = example(runbook, workflow)
    run = pipeline_act(
        text,
        workflow_file=name,
        event=event,
        payload={"number": 3, "pull_request": {"number": 3, "head": {"ref": "feature/y"},
                                                "base": {"ref": "main"}}}
        if event == "pull_request"
        else None,
        vars={**variables, "OSV_DB": str(OSV_DB)},
        secrets={"REGISTRY_LOGINS": secret["REGISTRY_LOGINS"], "GITHUB_TOKEN": APPROVAL_TOKEN},
        env={"GITHUB_API_URL": gh.api_v3_url},
        files=sample_app_files(prefix),
    )  # fmt: skip
    results = {k: r for k, r in job_results(run).items() if "/" in k}
    assert results, run.describe()
    assert set(results.values()) <= {"success", "skipped"}, run.describe()
    assert "success" in results.values()


def test_production_pipeline_approves_deploys_under_load_and_reports(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """production-deploy.yml on tags v1.0.0 then v1.1.0: scan, two-platform release, two
    approvers, blue-green over SSH while a load generator sends requests through nginx (no
    failed request, the answers switch), the watch, one Slack message updated from waiting to
    success, an email."""
    needs_actions("audit", "deploy")
    from tests.services.loadgen import LoadGenerator, fetch
    from tests.services.plugin_smtp import SMTP_PASSWORD, SMTP_USER

    host, smtp = deploy_fixtures(request)
    app = production_job()["app"]
    url = host.add_site(app)
    proxy = host.proxy_inputs(app)
    image, variables, secret = image_settings(registry, python_base_image, "platform")
    channel = slack_emulator.add_channel("#deploys")
    text, name = example("platform", "production-deploy.yml")
    settings = {
        **variables,
        "OSV_DB": str(OSV_DB),
        "PRODUCTION_HOSTS": host.target,
        "PRODUCTION_KNOWN_HOSTS": host.known_hosts_line,
        "DEPLOY_USER": host.ssh.user,
        "PROXY_CONFIG": proxy["proxy-config"],
        "PROXY_RELOAD": proxy["proxy-reload"],
        "PROXY_CHECK": proxy["proxy-check"],
        "PRODUCTION_URL": url,
        "MONITOR": "6s",
        "MONITOR_INTERVAL": "2s",
        "APPROVERS": "bob, carol, dana",
        "APPROVAL_POLL_INTERVAL": "1s",
        "SLACK_API_URL": slack_emulator.api_url,
        "SMTP_SERVER": f"127.0.0.1:{smtp.submission_port}",
        "EMAIL_FROM": "Deploy Bot <deploy@example.com>",
        "EMAIL_TO": "team@example.com",
    }
    tokens = {
        "SSH_KEY": host.ssh.client_key.read_text(),
        "REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"],
        "APPROVAL_TOKEN": APPROVAL_TOKEN,
        "GITHUB_TOKEN": APPROVAL_TOKEN,  # the job token (github.token): the GitHub Release
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
        "SMTP_USERNAME": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
    }

    def release(tag: str, issue: int, after: Callable[[], object] | None = None) -> ActRun:
        thread = approve_by_two(gh, slack_emulator, channel, issue=issue, after=after)
        run = pipeline_act(
            text,
            workflow_file=name,
            ref=f"refs/tags/{tag}",
            vars=settings,
            secrets=tokens,
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=sample_app_files(),
            host_env={"SSL_CERT_FILE": str(smtp.ca_cert)},
            timeout=1200,
        )
        thread.join(timeout=10)
        return run

    try:
        first = release("v1.0.0", issue=1)
        assert first.job("production/deploy").result == "success", first.describe()
        assert fetch(url + "version") == "1.0.0"
        assert inspect_platforms(f"{image}:1.0.0", registry.docker_env()) == [
            "linux/amd64",
            "linux/arm64",
        ]
        # the load starts once v1.1.0 is approved: the deploy comes next
        load = LoadGenerator(url + "version", threads=4, max_requests=400_000, max_seconds=900)
        second = release("v1.1.0", issue=2, after=load.start)
        load.wait_for(load.count() + 200)
        load.stop()
        assert second.job("production/deploy").result == "success", second.describe()
        assert fetch(url + "version") == "1.1.0"
        assert load.result.failed == 0, load.result.errors
        assert load.result.versions() == ["1.0.0", "1.1.0"]
        assert load.result.total >= 1000

        for number in (1, 2):
            issue = gh.issue(REPO, number)
            assert issue["state_reason"] == "completed"
        messages = slack_emulator.messages(channel)
        assert len(messages) == 2  # one per release, each updated in place
        latest = messages[-1]
        assert [h["text"].split(" ", 1)[1] for h in latest["history"]][:2] == [
            "Deploying platform to production waits for 2 approval(s)",
            "Deploying platform to production",
        ]
        assert latest["text"].endswith("platform to production deployed")
        mails = smtp.wait_for_messages(2, timeout=30)
        assert "[SUCCESS]" in mails[-1].message["Subject"]
        # a GitHub Release per tag, the second one's notes from the first
        newest, oldest = gh.releases(REPO)
        assert (newest["tag_name"], oldest["tag_name"]) == ("v1.1.0", "v1.0.0")
        digest = second.job("release/build").step("image").outputs["digest"]
        assert newest["body"].startswith(f"Image digest `{digest}`")
        assert newest["body"].endswith(f"/{REPO}/compare/v1.0.0...v1.1.0")
        everything = first.text + second.text + first.summary + second.summary
        for value in tokens.values():
            for line in value.splitlines():
                assert not line.strip() or line.strip() not in everything
    finally:
        host.remove_app(app)


def test_staging_bad_release_is_rolled_back_with_an_incident(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """staging-deploy.yml on two pushes to main: a good release, then one whose health check
    fails: the deploy action switches back, the Slack message says it was rolled back, an
    incident issue is opened, and the good release keeps serving."""
    needs_actions("audit", "deploy")
    from tests.services.loadgen import fetch

    host, _ = deploy_fixtures(request)
    app = "platform"
    url = host.add_site(app)
    proxy = host.proxy_inputs(app)
    _, variables, secret = image_settings(registry, python_base_image, "staging")
    channel = slack_emulator.add_channel("#deploys")
    text, name = example("platform", "staging-deploy.yml")
    settings = {
        **variables,
        "PLATFORMS": "linux/amd64",
        "OSV_DB": str(OSV_DB),
        "STAGING_HOSTS": host.target,
        "STAGING_KNOWN_HOSTS": host.known_hosts_line,
        "DEPLOY_USER": host.ssh.user,
        "PROXY_CONFIG": proxy["proxy-config"],
        "PROXY_RELOAD": proxy["proxy-reload"],
        "PROXY_CHECK": proxy["proxy-check"],
        "STAGING_URL": url,
        "STAGING_MONITOR": "4s",
        "MONITOR_INTERVAL": "2s",
        "SLACK_API_URL": slack_emulator.api_url,
    }
    tokens = {
        "SSH_KEY": host.ssh.client_key.read_text(),
        "REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"],
        "GITHUB_TOKEN": APPROVAL_TOKEN,  # the job token (github.token): the incident issue
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
    }

    def push(files: dict[str, str]) -> ActRun:
        return pipeline_act(
            text,
            workflow_file=name,
            vars=settings,
            secrets=tokens,
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=files,
            timeout=900,
        )

    try:
        good = push(sample_app_files())
        assert good.job("staging/deploy").result == "success", good.describe()
        good_version = fetch(url + "version")
        assert good_version == f"main-{good.sha[:7]}"  # the first tag rule: {{branch}}-{{sha}}

        files = sample_app_files()
        files["Dockerfile"] = files["Dockerfile"].replace(
            "ARG UNHEALTHY_AFTER=-1", "ARG UNHEALTHY_AFTER=0"
        )
        bad = push(files)
        deploy = bad.job("staging/deploy")
        assert deploy.result == "failure", bad.describe()
        # the deploy action rolls back by itself: deploy.yml's own rollback step is not needed
        assert deploy.step("deploy").outputs["status"] == "rolled-back", bad.describe()
        assert deploy.step("rollback").outcome == "skipped", bad.describe()
        assert fetch(url + "version") == good_version
        assert bad.job("staging/incident").result == "success", bad.describe()
        (incident,) = [i for i in gh.issues(REPO) if i["title"].startswith("Incident:")]
        assert incident["title"] == "Incident: platform deploy to staging rolled-back"
        assert [label["name"] for label in incident["labels"]] == ["incident"]
        last = slack_emulator.messages(channel)[-1]
        assert "rolled back to the previous release" in last["text"]
        assert last["history"][0]["text"].endswith("Deploying platform to staging")
    finally:
        host.remove_app(app)


def test_agentic_scheduled_scan_opens_and_closes_an_issue_for_a_vulnerable_pin(
    pipeline_act: ActHarness, gh: GitHubEmulator
) -> None:
    """scheduled.yml on schedule: a vulnerable pin (requests 2.19.0) opens an issue labelled
    dependencies with its advisory; once the pin is fixed the next run closes it."""
    needs_actions("audit")
    text, name = example("agentic", "scheduled.yml")

    def scan(requirements: str) -> ActRun:
        files = sample_app_files()
        files["requirements.txt"] = requirements
        return pipeline_act(
            text,
            workflow_file=name,
            event="schedule",
            payload={"schedule": "0 6 * * *"},
            vars={"OSV_DB": str(OSV_DB)},
            secrets={"GITHUB_TOKEN": APPROVAL_TOKEN},  # the job token: github.token
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=files,
        )

    vulnerable = scan("requests==2.19.0\n")
    job = vulnerable.job("dependencies/scan")
    assert job.result == "failure", vulnerable.describe()  # blocking findings fail the run
    assert int(job.step("audit").outputs["blocking"]) >= 1
    opened = [i for i in gh.issues(REPO) if i["state"] == "open"]
    assert opened, vulnerable.describe()[-5000:]
    assert all("dependencies" in [label["name"] for label in i["labels"]] for i in opened)
    assert any("requests" in i["title"] for i in opened)
    assert job.step("audit").outputs["sarif-file"]

    fixed = scan("requests==2.32.4\n")
    assert fixed.job("dependencies/scan").result == "success", fixed.describe()
    for issue in opened:
        assert gh.issue(REPO, issue["number"])["state"] == "closed"


def deploy_settings(host: Any, prefix: str, app: str) -> tuple[dict[str, str], str]:
    """The vars that point an example's deploy at a test-bed host, and the app's URL."""
    url = host.add_site(app)
    proxy = host.proxy_inputs(app)
    return {
        f"{prefix}_HOSTS": host.target,
        f"{prefix}_KNOWN_HOSTS": host.known_hosts_line,
        "DEPLOY_USER": host.ssh.user,
        "PROXY_CONFIG": proxy["proxy-config"],
        "PROXY_RELOAD": proxy["proxy-reload"],
        "PROXY_CHECK": proxy["proxy-check"],
        "MONITOR": "3s",
        "STAGING_MONITOR": "3s",
        "MONITOR_INTERVAL": "1s",
    }, url


def test_agentic_cd_rolls_three_replicas_after_a_backup(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
) -> None:
    """cd.yml on a v* tag: the release (the image, a GitHub Release), then production rolling
    over three replicas, after the backup (pre-deploy) on the host."""
    needs_actions("deploy")
    from tests.services.loadgen import fetch

    host, _ = deploy_fixtures(request)
    app = "agentic"
    hosts, url = deploy_settings(host, "PRODUCTION", app)
    _, variables, secret = image_settings(registry, python_base_image, "agentic")
    text, name = example("agentic", "cd.yml")
    try:
        run = pipeline_act(
            text,
            workflow_file=name,
            ref="refs/tags/v3.0.0",
            vars={**variables, **hosts},
            secrets={
                "SSH_KEY": host.ssh.client_key.read_text(),
                "REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"],
                "GITHUB_TOKEN": APPROVAL_TOKEN,
            },
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=sample_app_files(),
            timeout=900,
        )
        assert run.job("production/deploy").result == "success", run.describe()
        assert "staging/deploy" not in run.jobs  # its caller job's if: is false on a tag
        assert len(host.containers(app)) == 3
        assert fetch(url + "version") == "3.0.0"
        backups = sorted((host.home / "backups").glob("containers-*.txt"))
        assert backups, "the pre-deploy backup did not run"
        (release,) = gh.releases(REPO)  # and a GitHub Release for the tag
        assert release["tag_name"] == "v3.0.0"
        assert run.job("release/build").step("image").outputs["digest"] in release["body"]
    finally:
        host.remove_app(app)


def test_amani_deploy_pushes_to_two_registries_and_deploys_staging(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
) -> None:
    """deploy.yml on main: one build pushed under two names (here two repositories of the test
    registry, with one credentials line), with the build metadata, then deployed to staging."""
    needs_actions("deploy")
    from tests.services.loadgen import fetch

    host, _ = deploy_fixtures(request)
    app = "amani"
    hosts, url = deploy_settings(host, "STAGING", app)
    image, variables, secret = image_settings(registry, python_base_image, "amani")
    second = track(image + "-mirror")
    text, name = example("amani", "deploy.yml")
    try:
        run = pipeline_act(
            text,
            workflow_file=name,
            vars={**variables, **hosts, "SECOND_IMAGE": second},
            secrets={
                "SSH_KEY": host.ssh.client_key.read_text(),
                "REGISTRY_LOGINS": secret["REGISTRY_LOGINS"],
                "PULL_PASSWORD": secret["REGISTRY_PASSWORD"],
                "GITHUB_TOKEN": APPROVAL_TOKEN,
            },
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=sample_app_files(),
            timeout=900,
        )
        build = run.job("release/build")
        assert build.result == "success", run.describe()
        tags = build.step("image").outputs["tags"].splitlines()
        short = run.sha[:7]
        assert tags == [f"{n}:{t}" for n in (image, second) for t in ("latest", f"sha-{short}")]
        metadata = json.loads(build.step("image").outputs["metadata"])
        assert "BUILD_SHA" in json.dumps(metadata)
        assert run.job("staging/deploy").result == "success", run.describe()
        assert "production/deploy" not in run.jobs  # its caller job's if: is false on main
        assert fetch(url + "version") == f"sha-{short}"
    finally:
        host.remove_app(app)


def test_company_app_deploys_each_branch_to_its_own_environment(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """pipeline.yml on a push to develop, then on a push to main: lint, test, security, the
    build, then deploy.yml to staging (develop) and to production (main), each on its own
    machine (two namespace hosts, each with its own dockerd, nginx and SSH key), each answering
    its branch's version, with one Slack message per deploy."""
    needs_actions("lint", "audit", "deploy")
    from tests.services.loadgen import fetch

    hosts = request.getfixturevalue("namespace_hosts")
    staging, production = hosts[1], hosts[2]  # each one's own key opens only that host
    app = "company-app"
    staging_vars, staging_url = deploy_settings(staging, "STAGING", app)
    production_vars, production_url = deploy_settings(production, "PRODUCTION", app)
    _, variables, secret = image_settings(registry, python_base_image, "company-app")
    channel = slack_emulator.add_channel("#deploys")
    text, name = example("company-app", "pipeline.yml")

    def push(branch: str) -> ActRun:
        return pipeline_act(
            text,
            workflow_file=name,
            ref=f"refs/heads/{branch}",
            vars={
                **variables,
                **staging_vars,
                **production_vars,
                "OSV_DB": str(OSV_DB),
                "SLACK_API_URL": slack_emulator.api_url,
            },
            secrets={
                # the key of the environment the branch deploys to (an environment secret)
                "SSH_KEY": (production if branch == "main" else staging).ssh.client_key.read_text(),
                "REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"],
                "REGISTRY_LOGINS": secret["REGISTRY_LOGINS"],
                "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
                "GITHUB_TOKEN": APPROVAL_TOKEN,
            },
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=sample_app_files(),
            timeout=1200,
        )

    try:
        develop = push("develop")
        deploy = develop.job("deploy/deploy")
        assert deploy.result == "success", develop.describe()
        develop_version = develop.job("build-push/build").step("image").outputs["version"]
        assert fetch(staging_url + "version") == develop_version
        assert staging.containers(app) and not production.containers(app)

        main = push("main")
        assert main.job("deploy/deploy").result == "success", main.describe()
        main_version = main.job("build-push/build").step("image").outputs["version"]
        assert main_version == f"sha-{main.sha[:7]}"
        assert main_version != develop_version
        assert fetch(production_url + "version") == main_version
        assert fetch(staging_url + "version") == develop_version  # staging untouched
        assert len(production.containers(app)) == 1

        first, second = slack_emulator.messages(channel)  # one message per deploy, updated
        assert "staging" in first["text"] and "production" not in first["text"]
        assert "production" in second["text"] and "staging" not in second["text"]
        everything = develop.text + main.text + develop.summary + main.summary
        assert DEFAULT_TOKEN not in everything and APPROVAL_TOKEN not in everything
    finally:
        staging.remove_app(app)
        production.remove_app(app)
