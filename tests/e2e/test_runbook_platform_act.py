"""The platform runbook (examples/platform/) under act: the pull request checks, the staging
deploy and the production approval stage, with the workflow files as a team has them, over the
runbook's layout (services/backend, services/ai-gateway). The production pipeline's deploys are
in test_runbook_platform_production_act.py."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    deploy_fixtures,
    image_settings,
    job_results,
    service_vars,
    strip_colours,
    with_service_tests,
)
from tests.e2e.pipelines import EXAMPLES, REPO, approve_by_two, example, sample_app_files
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.service_images import ServiceImages
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

pytestmark = pytest.mark.usefixtures("remove_local_images")
#: An AWS key id of the documentation's kind: trivy's secret scanner reports it.
PLANTED_SECRET = "aws_access_key_id = AKIAZ3MSJV4WWNKWW5FG\n"


def platform_files() -> dict[str, str]:
    """The runbook's layout: the backend (with its PostgreSQL and Redis integration tests) and
    the AI gateway, each a copy of the sample app."""
    backend = with_service_tests(sample_app_files("services/backend/"), "services/backend/")
    return {**backend, **sample_app_files("services/ai-gateway/")}


def pull_request(number: int) -> dict[str, object]:
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": "c0ffee" + "0" * 34, "ref": "feature/basket"},
            "base": {"sha": "b" * 40, "ref": "develop"},
        },
    }


def production_job() -> dict[str, Any]:
    doc = yaml.safe_load((EXAMPLES / "platform" / "production-deploy.yml").read_text())
    job = doc["jobs"]["deploy-production"]
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
            "deploy-production": {
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
    channel = slack_emulator.add_channel("#deployments")
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
    approve = run.job("deploy-production/approve")
    assert approve.result == "success", run.describe()
    wait = approve.step("wait")
    assert wait.outputs["status"] == "approved"
    assert wait.outputs["approved-by"] == "bob,carol"

    issue = gh.issue(REPO, 1)
    assert issue["title"] == "Approval needed: Deploying platform to production (v1.4.0)"
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    for item in ("All tests passing", "Security scans clear", "Staging deployment successful",
                 "Database migrations reviewed", "Rollback plan ready"):  # fmt: skip
        assert f"- [ ] {item}" in issue["body"]  # the runbook's pre-deployment checklist

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


def test_pr_checks_test_against_postgres_and_redis_and_fail_on_flake8(
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    service_images_pushed: ServiceImages,
    gh: GitHubEmulator,
) -> None:
    """A pull request to develop with a flake8 error and a leaked key in the backend: the
    backend's lint fails (a failing check blocks the merge); its unit and integration tests
    pass against real PostgreSQL 15 and Redis 7 service containers with coverage over 80%; the
    trivy preview reports the key without blocking; both images build; the AI services pass."""
    files = platform_files()
    server = "services/backend/app/server.py"
    files[server] = files[server].replace("import json\n", "import json\nimport sys\n", 1)
    files["services/backend/config/aws.ini"] = PLANTED_SECRET
    gh.set_pull_files(REPO, 21, [server, "services/backend/config/aws.ini"])
    _, variables, secret = image_settings(registry, python_base_image, "platform-pr")
    text, name = example("platform", "pr-checks.yml")
    run = pipeline_act(
        text, workflow_file=name, event="pull_request", payload=pull_request(21),
        vars={**variables, **service_vars(service_images_pushed)},
        secrets={"REGISTRY_LOGINS": secret["REGISTRY_LOGINS"]},
        env={"GITHUB_API_URL": gh.api_v3_url}, files=files,
    )  # fmt: skip
    results = job_results(run)
    assert results["backend/lint"] == "failure", run.describe()
    assert any(a.file == server and "F401" in f"{a.title}{a.message}" for a in run.annotations), (
        run.annotations
    )
    test = run.job("backend/test")
    assert test.result == "success", run.describe()
    log = strip_colours(test.text)
    assert f"service postgres: {service_images_pushed.postgres} ready" in log
    assert f"service redis: {service_images_pushed.redis} ready" in log
    assert re.search(r"\b9 passed\b", log), log[-2000:]  # 7 unit, 2 integration tests
    assert "### Coverage:" in test.summary
    audit = run.job("backend/audit")
    assert audit.result == "success", run.describe()  # preview only
    report = json.loads(audit.step("audit").outputs["report"])
    assert report["counts"]["critical"] >= 1 and report["blocking"] == 0  # shown, not blocking
    assert results["backend/docker"] == "success", run.describe()
    ai = {k: v for k, v in results.items() if k.startswith("ai-services/")}
    assert ai and set(ai.values()) <= {"success", "skipped"}, run.describe()
    assert results["ai-services/docker"] == "success"


def test_staging_bad_release_is_rolled_back_with_an_incident(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """staging-deploy.yml on two pushes to develop: a good release (smoke-tested), then one
    whose health check fails: the deploy action switches back, the #deployments message says it
    was rolled back, an incident issue is opened, and the good release keeps serving."""
    from tests.services.loadgen import fetch

    host, _ = deploy_fixtures(request)
    app = "platform"
    url = host.add_site(app)
    proxy = host.proxy_inputs(app)
    _, variables, secret = image_settings(registry, python_base_image, "staging")
    channel = slack_emulator.add_channel("#deployments")
    text, name = example("platform", "staging-deploy.yml")
    settings = {
        **variables,
        "PLATFORMS": "linux/amd64",
        "STAGING_HOSTS": host.target,
        "STAGING_KNOWN_HOSTS": host.known_hosts_line,
        "STAGING_USER": host.ssh.user,
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
            ref="refs/heads/develop",
            vars=settings,
            secrets=tokens,
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=files,
            timeout=900,
        )

    try:
        good = push(platform_files())
        assert good.job("deploy-staging/deploy").result == "success", good.describe()
        assert good.job("deploy-staging/deploy").step("deploy").outputs["status"] == "deployed"
        assert '"smoke"' in good.job("deploy-staging/deploy").step("deploy").outputs["hosts"]
        good_version = fetch(url + "version")
        assert good_version == f"develop-{good.sha[:7]}"  # the first tag rule: {{branch}}-{{sha}}

        files = platform_files()
        dockerfile = "services/backend/Dockerfile"
        files[dockerfile] = files[dockerfile].replace(
            "ARG UNHEALTHY_AFTER=-1", "ARG UNHEALTHY_AFTER=0"
        )
        bad = push(files)
        deploy = bad.job("deploy-staging/deploy")
        assert deploy.result == "failure", bad.describe()
        # the deploy action rolls back by itself: deploy.yml's own rollback step is not needed
        assert deploy.step("deploy").outputs["status"] == "rolled-back", bad.describe()
        assert deploy.step("rollback").outcome == "skipped", bad.describe()
        assert fetch(url + "version") == good_version
        assert bad.job("deploy-staging/incident").result == "success", bad.describe()
        (incident,) = [i for i in gh.issues(REPO) if i["title"].startswith("Incident:")]
        assert incident["title"] == "Incident: platform deploy to staging rolled-back"
        assert [label["name"] for label in incident["labels"]] == ["incident"]
        last = slack_emulator.messages(channel)[-1]
        assert "rolled back to the previous release" in last["text"]
        assert last["history"][0]["text"].endswith("Deploying platform to staging")
    finally:
        host.remove_app(app)
