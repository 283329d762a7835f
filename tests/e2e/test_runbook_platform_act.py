"""The platform runbook's pipelines (examples/platform/) under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    deploy_fixtures,
    image_settings,
    job_results,
    lint_error,
    needs_actions,
)
from tests.e2e.pipelines import (
    EXAMPLES,
    REPO,
    approve_by_two,
    example,
    sample_app_files,
)
from tests.services.base_images import inspect_platforms
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

pytestmark = pytest.mark.usefixtures("remove_local_images")


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
