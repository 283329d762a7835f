"""The runbooks' CI workflows on the clean sample app, under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest

from tests.e2e.act import ActHarness
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    image_settings,
    job_results,
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
