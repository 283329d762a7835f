"""The company-app runbook's pipeline (examples/company-app/) under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest

from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    deploy_settings,
    image_settings,
    needs_actions,
)
from tests.e2e.pipelines import (
    example,
    sample_app_files,
)
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

pytestmark = pytest.mark.usefixtures("remove_local_images")


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
