"""The platform runbook's production pipeline (examples/platform/production-deploy.yml) under act:
a good release and one that goes bad during the watch window, and a denied one.

What the runbook promises and these tests assert: the security scan and the tests (against
PostgreSQL and Redis) before the image; two approvers in an issue announced in #deployments;
the migrations; blue-green with no failed request; five minutes of checks (shortened here by
vars) that roll back a release going bad, with the failure message, an incident issue and the
email to devops@example.com (failures only); the GitHub Release only after a successful
deploy; a denied release deploys and releases nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    deploy_fixtures,
    image_settings,
    service_vars,
)
from tests.e2e.pipelines import REPO, approve_by_two, example, when_issue_exists
from tests.e2e.test_runbook_platform_act import platform_files
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.service_images import ServiceImages
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

pytestmark = pytest.mark.usefixtures("remove_local_images")
APP = "platform"


def production_settings(
    host: Any,
    smtp: Any,
    variables: dict[str, str],
    images: ServiceImages,
    slack: SlackEmulator,
) -> tuple[dict[str, str], str]:
    url = host.add_site(APP)
    proxy = host.proxy_inputs(APP)
    return {
        **variables,
        **service_vars(images),
        "PLATFORMS": "linux/amd64",  # two platforms: test_runbook_ecommerce_act.py
        "OSV_DB": str(OSV_DB),
        "PRODUCTION_HOSTS": host.target,
        "PRODUCTION_KNOWN_HOSTS": host.known_hosts_line,
        "PRODUCTION_USER": host.ssh.user,
        "PROXY_CONFIG": proxy["proxy-config"],
        "PROXY_RELOAD": proxy["proxy-reload"],
        "PROXY_CHECK": proxy["proxy-check"],
        "PRODUCTION_URL": url,
        "DASHBOARD_URL": "https://grafana.example.com/d/platform",
        "MIGRATE_COMMAND": "python3 -m app.migrate",  # the test bed's image has no `python`
        "MONITOR": "20s",
        "MONITOR_INTERVAL": "2s",
        "APPROVERS": "bob, carol, dana",
        "APPROVAL_POLL_INTERVAL": "1s",
        "APPROVAL_TIMEOUT": "5m",
        "SLACK_API_URL": slack.api_url,
        "SMTP_SERVER": f"127.0.0.1:{smtp.submission_port}",
        "EMAIL_FROM": "Deploy Bot <deploy@example.com>",
        # trivy's vulnerability DB cannot be downloaded here: the test bed's admin lets the
        # image scan through without it (it still scans the image's layers for secrets)
        "IMAGE_SCAN_ALLOW_UNAVAILABLE": "container",
    }, url


def tokens(host: Any, secret: dict[str, str]) -> dict[str, str]:
    from tests.services.plugin_smtp import SMTP_PASSWORD, SMTP_USER

    return {
        "SSH_KEY": host.ssh.client_key.read_text(),  # the production environment's secret
        "REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"],
        "REGISTRY_LOGINS": secret["REGISTRY_LOGINS"],
        "APPROVAL_TOKEN": APPROVAL_TOKEN,
        "GITHUB_TOKEN": APPROVAL_TOKEN,  # the job token (github.token): the GitHub Release
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
        "EMAIL_USERNAME": SMTP_USER,
        "EMAIL_PASSWORD": SMTP_PASSWORD,
    }


def goes_bad_in_the_watch(files: dict[str, str]) -> dict[str, str]:
    """The backend healthy at the switch, unhealthy 12 seconds after it started."""
    seeded = dict(files)
    dockerfile = "services/backend/Dockerfile"
    seeded[dockerfile] = seeded[dockerfile].replace(
        "ARG UNHEALTHY_AFTER=-1", "ARG UNHEALTHY_AFTER=12"
    )
    assert seeded[dockerfile] != files[dockerfile]
    return seeded


def test_production_release_going_bad_in_the_watch_is_rolled_back_with_incident_and_email(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    service_images_pushed: ServiceImages,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """v1.0.0: scanned, tested, approved by two, migrated, deployed, then its GitHub Release.
    v1.1.0, approved, goes bad during the watch under load: switched back to v1.0.0 with no
    failed request, the #deployments message says so, an incident issue is opened, the
    failure email goes to devops@example.com, and v1.1.0 gets no GitHub Release."""
    from tests.services.loadgen import LoadGenerator, fetch

    host, smtp = deploy_fixtures(request)
    _, variables, secret = image_settings(registry, python_base_image, "platform")
    channel = slack_emulator.add_channel("#deployments")
    settings, url = production_settings(
        host, smtp, variables, service_images_pushed, slack_emulator
    )
    text, name = example("platform", "production-deploy.yml")
    secrets = tokens(host, secret)

    def release(
        tag: str, files: dict[str, str], issue: int, after: Callable[[], object] | None = None
    ) -> ActRun:
        thread = approve_by_two(gh, slack_emulator, channel, issue=issue, after=after)
        run = pipeline_act(
            text, workflow_file=name, ref=f"refs/tags/{tag}", vars=settings, secrets=secrets,
            env={"GITHUB_API_URL": gh.api_v3_url}, files=files,
            host_env={"SSL_CERT_FILE": str(smtp.ca_cert)}, timeout=1200,
        )  # fmt: skip
        thread.join(timeout=10)
        return run

    try:
        good = release("v1.0.0", platform_files(), issue=1)
        deploy = good.job("deploy-production/deploy")
        assert deploy.result == "success", good.describe()
        assert good.job("security-scan/test").result == "success", good.describe()
        assert good.job("security-scan/audit").result == "success", good.describe()
        image_scan = good.job("scan-image/scan")
        assert image_scan.result == "success", good.describe()
        report = json.loads(image_scan.step("audit").outputs["report"])
        # the image was pulled with the registry login and scanned: only the DB was missing
        assert [(m["scanner"], m["source"], m["allowed"]) for m in report["did_not_run"]] == [
            ("container", "trivy vulnerability DB", True)
        ], report["did_not_run"]
        assert image_scan.summary.startswith("## Audit: container did not run")
        hosts = json.loads(deploy.step("deploy").outputs["hosts"])
        assert "migrate" in json.dumps(hosts)  # the migrations ran before the switch
        assert fetch(url + "version") == "1.0.0"
        assert good.job("github-release/publish").result == "success", good.describe()
        (published,) = gh.releases(REPO)
        assert published["tag_name"] == "v1.0.0"
        assert "Deployed to **production**" in published["body"]
        assert smtp.messages == []  # the email is for failures and rollbacks only

        load = LoadGenerator(url + "version", threads=4, max_requests=400_000, max_seconds=900)
        bad = release("v1.1.0", goes_bad_in_the_watch(platform_files()), issue=2, after=load.start)
        load.wait_for(load.count() + 200)
        load.stop()
        deploy = bad.job("deploy-production/deploy")
        assert deploy.result == "failure", bad.describe()
        assert deploy.step("deploy").outputs["status"] == "rolled-back", bad.describe()
        assert "during the watch" in deploy.step("deploy").outputs["hosts"]
        assert fetch(url + "version") == "1.0.0"
        assert load.result.failed == 0, load.result.errors
        assert load.result.versions() == ["1.0.0", "1.1.0"]

        assert bad.job("deploy-production/incident").result == "success", bad.describe()
        (incident,) = [i for i in gh.issues(REPO) if i["title"].startswith("Incident:")]
        assert incident["title"] == "Incident: platform deploy to production rolled-back"
        messages = slack_emulator.messages(channel)
        assert len(messages) == 2  # one per release, each updated in place
        assert "rolled back to the previous release" in messages[-1]["text"]
        assert "grafana.example.com" in json.dumps(messages[-1])  # the dashboard link
        (mail,) = smtp.wait_for_messages(1, timeout=30)
        assert "[FAILURE]" in mail.message["Subject"]
        assert mail.message["To"] == "devops@example.com"
        published = [k for k, j in bad.jobs.items() if k.startswith("github-release") and j.ok]
        assert not published, bad.describe()  # the caller job's if: is false: nothing runs
        assert [r["tag_name"] for r in gh.releases(REPO)] == ["v1.0.0"]  # none for v1.1.0
        everything = good.text + bad.text + good.summary + bad.summary
        for value in secrets.values():
            for line in value.splitlines():
                assert not line.strip() or line.strip() not in everything
    finally:
        host.remove_app(APP)


def test_denied_emergency_release_by_hand_deploys_and_releases_nothing(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    service_images_pushed: ServiceImages,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """The runbook's emergency deployment by hand (`-f version=v2.0.4 -f skip_tests=true`):
    the tests are skipped, the security scans still run, the image is tagged v2.0.4, and it
    still needs the approval: a DevOps approver denies it, so nothing reaches the host, no
    GitHub Release, no incident; the #deployments message says it was not approved."""
    host, smtp = deploy_fixtures(request)
    _, variables, secret = image_settings(registry, python_base_image, "platform-denied")
    channel = slack_emulator.add_channel("#deployments")
    settings, _ = production_settings(host, smtp, variables, service_images_pushed, slack_emulator)
    text, name = example("platform", "production-deploy.yml")

    def deny() -> None:
        gh.comment(REPO, 1, "dana", "deny")

    import threading

    thread = threading.Thread(target=lambda: when_issue_exists(gh, deny), daemon=True)
    thread.start()
    try:
        run = pipeline_act(
            text, workflow_file=name, event="workflow_dispatch",
            inputs={"version": "v2.0.4", "skip_tests": True}, vars=settings,
            secrets=tokens(host, secret), env={"GITHUB_API_URL": gh.api_v3_url},
            files=platform_files(), host_env={"SSL_CERT_FILE": str(smtp.ca_cert)}, timeout=1200,
        )  # fmt: skip
        thread.join(timeout=10)
        assert run.job("security-scan/audit").result == "success", run.describe()
        assert run.job("security-scan/test").result == "skipped", run.describe()
        build = run.job("build-push-production/build")
        assert build.result == "success", run.describe()
        assert [t.rsplit(":", 1)[1] for t in build.step("image").outputs["tags"].split()] == [
            "v2.0.4"
        ]
        assert run.job("scan-image/scan").result == "success", run.describe()
        approve = run.job("Approval/approve")  # deploy.yml's approval gate
        assert approve.result == "failure", run.describe()
        assert approve.step("wait").outputs["status"] == "denied"
        deploy = run.jobs.get("deploy-production/deploy")
        assert deploy is None or deploy.result == "skipped", run.describe()
        assert "deploy-production/incident" not in run.jobs or (
            run.jobs["deploy-production/incident"].result == "skipped"
        )
        assert not [k for k, j in run.jobs.items() if k.startswith("github-release") and j.ok]
        assert host.containers(APP) == []
        assert gh.releases(REPO) == []
        (message,) = slack_emulator.messages(channel)
        assert "was not approved" in message["text"]
    finally:
        host.remove_app(APP)
