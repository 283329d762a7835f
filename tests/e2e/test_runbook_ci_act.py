"""The runbooks' CI workflows on the clean sample app, under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.act import ActHarness
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    copy_in_registry,
    image_settings,
    job_results,
    service_vars,
    with_service_tests,
)
from tests.e2e.pipelines import (
    REPO,
    example,
    sample_app_files,
)
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.service_images import ServiceImages

pytestmark = pytest.mark.usefixtures("remove_local_images")


CI_EXAMPLES = [
    # (runbook, workflow, event, where the sample app lives in the caller repository)
    ("amani", "security-scan.yml", "push", ""),
    ("agentic", "ci.yml", "push", ""),
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
    service_images_pushed: ServiceImages,
    runbook: str,
    workflow: str,
    event: str,
    prefix: str,
) -> None:
    """Each runbook's CI (its linters, informational or not, the audit, the tests with
    coverage and their Redis service, the build check and its smoke test) is green on the
    sample app, which is clean for all of them."""
    gh.set_pull_files(REPO, 3, ["app/server.py", "Dockerfile"])
    image, variables, secret = image_settings(registry, python_base_image, runbook)
    if runbook == "amani":  # the image the scan pulls: private, in the registry only
        copy_in_registry(registry, python_base_image.ref, f"{image}:latest")
    text, name = example(runbook, workflow)
    files = with_service_tests(sample_app_files(prefix), prefix, postgres=False)
    if runbook == "agentic":  # OPENAI_API_KEY_TEST reaches the tests (python-ci's TEST_ENV)
        files[f"{prefix}tests/test_api_key.py"] = (
            "import os\n\n\ndef test_the_test_api_key_is_there() -> None:\n"
            '    assert os.environ["OPENAI_API_KEY"] == "sk-test-shipyard-ci-only"\n'
        )
    run = pipeline_act(
        text,
        workflow_file=name,
        event=event,
        payload={"number": 3, "pull_request": {"number": 3, "head": {"ref": "feature/y"},
                                                "base": {"ref": "main"}}}
        if event == "pull_request"
        else None,
        vars={**variables, **service_vars(service_images_pushed), "OSV_DB": str(OSV_DB)},
        secrets={"REGISTRY_LOGINS": secret["REGISTRY_LOGINS"], "GITHUB_TOKEN": APPROVAL_TOKEN,
                 "OPENAI_API_KEY_TEST": "sk-test-shipyard-ci-only"},
        env={"GITHUB_API_URL": gh.api_v3_url},
        files=files,
    )  # fmt: skip
    results = {k: r for k, r in job_results(run).items() if "/" in k}
    assert results, run.describe()
    assert set(results.values()) <= {"success", "skipped"}, run.describe()
    assert "success" in results.values()
    if runbook == "amani":  # a push never blocks, not even on the vulnerabilities trivy cannot scan
        audit = run.job("scan/scan").step("audit")
        report = json.loads(audit.outputs["report"])
        # the private image was pulled with the caller's REGISTRY_LOGINS and scanned (secrets):
        # only trivy's vulnerability DB, a download, was missing
        assert [(m["scanner"], m["source"], m["allowed"]) for m in report["did_not_run"]] == [
            ("container", "trivy vulnerability DB", True)
        ], report["did_not_run"]
        assert audit.outputs["sbom-file"].endswith("shipyard-audit.cdx.json")  # the artifact's
        assert run.job("scan/scan").step("artifact").outcome == "skipped"  # GitHub's
