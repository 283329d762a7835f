"""The amani runbook's pipelines (examples/amani/) under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.act import ActHarness
from tests.e2e.images import track
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    deploy_fixtures,
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

pytestmark = pytest.mark.usefixtures("remove_local_images")


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
