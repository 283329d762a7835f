"""The agentic runbook's pipelines (examples/agentic/) under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest

from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    deploy_fixtures,
    deploy_settings,
    image_settings,
    needs_actions,
)
from tests.e2e.pipelines import (
    REPO,
    example,
    sample_app_files,
)
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry

pytestmark = pytest.mark.usefixtures("remove_local_images")


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
