"""The ecommerce runbook (examples/ecommerce/) under act, with the workflow files as a team has
them, over the runbook's layout: backend/ (requirements/prod.txt and tests.txt) and
ai-services/api_gateway/ (built with ai-services/ as the context).

Acceptance tests of the runbook covered here: Backend CI Test 1 (a flake8 error fails the lint
step), Test 2 (pip-audit runs but never fails), Test 3 (a failing test fails the test step),
Test 4 (the Docker build completes); AI Services CI Test 1 and 2; Docker Release Test 1 (by
hand: both images with latest + sha), Test 3 and 4 (both tags pull and are one digest).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.build_push._run import registry_api
from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import OSV_DB, image_settings, job_results
from tests.e2e.pipelines import REPO, example, sample_app_files
from tests.services.base_images import inspect_platforms
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry

pytestmark = pytest.mark.usefixtures("remove_local_images")

CI_ENVIRONMENT_TEST = """\
import os


def test_the_ci_environment_reaches_the_tests() -> None:
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings.development"
    assert os.environ["SECRET_KEY"] == "test-secret-key-local"
    assert os.environ["DATABASE_URL"] == "sqlite:///test.db"
"""
FAILING_TEST = """\
def test_the_checkout_total_is_right() -> None:
    assert 2 + 2 == 5, "checkout total is off"
"""


def ecommerce_files() -> dict[str, str]:
    """The runbook's repository layout, made of the sample app twice."""
    files = sample_app_files("backend/")
    files["backend/requirements/prod.txt"] = files.pop("backend/requirements.txt")
    files["backend/requirements/tests.txt"] = files.pop("backend/requirements-dev.txt")
    files["backend/tests/test_ci_environment.py"] = CI_ENVIRONMENT_TEST
    gateway = sample_app_files("ai-services/api_gateway/")
    prefix = "ai-services/api_gateway/"
    gateway[prefix + "requirements.txt"] += gateway.pop(prefix + "requirements-dev.txt")
    dockerfile = gateway[prefix + "Dockerfile"]
    gateway[prefix + "Dockerfile"] = dockerfile.replace("COPY app/ ", "COPY api_gateway/app/ ")
    assert gateway[prefix + "Dockerfile"] != dockerfile
    return {**files, **gateway}


def with_lint_error(files: dict[str, str], path: str) -> dict[str, str]:
    """An unused import (flake8 F401) in ``path``."""
    seeded = dict(files)
    seeded[path] = seeded[path].replace("import json\n", "import json\nimport sys\n", 1)
    assert seeded[path] != files[path]
    return seeded


def pull_request(number: int, ref: str = "feature/checkout") -> dict[str, object]:
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": "c0ffee" + "0" * 34, "ref": ref},
            "base": {"sha": "b" * 40, "ref": "main"},
        },
    }


def ci_settings(
    registry: Registry, base: PythonImage, gh: GitHubEmulator
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    _, variables, secret = image_settings(registry, base, "ecommerce-ci")
    return (
        {**variables, "OSV_DB": str(OSV_DB)},
        {"REGISTRY_LOGINS": secret["REGISTRY_LOGINS"]},
        {"GITHUB_API_URL": gh.api_v3_url},
    )


def test_backend_ci_fails_on_flake8_and_a_failing_test_while_pip_audit_only_informs(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage, gh: GitHubEmulator
) -> None:
    """A pull request with a flake8 error, a failing test and a vulnerable pin: the lint job
    and the test job fail (Tests 1 and 3), the audit finds the advisory but succeeds (Test 2),
    the Dockerfile is linted and the image builds (Test 4); the tests ran with the CI
    environment of the runbook's Django settings."""
    files = with_lint_error(ecommerce_files(), "backend/app/server.py")
    files["backend/tests/test_checkout.py"] = FAILING_TEST
    files["backend/requirements/base.txt"] = "requests==2.19.0\n"  # audited, not installed
    gh.set_pull_files(
        REPO, 11, ["backend/app/server.py", "backend/tests/test_checkout.py", "backend/Dockerfile"]
    )
    variables, secrets, env = ci_settings(registry, python_base_image, gh)
    text, name = example("ecommerce", "backend-ci.yml")
    run = pipeline_act(
        text, workflow_file=name, event="pull_request", payload=pull_request(11),
        vars=variables, secrets=secrets, env=env, files=files,
    )  # fmt: skip
    results = job_results(run)
    assert results["ci/lint"] == "failure", run.describe()
    flake8 = [
        a for a in run.annotations if a.level == "error" and "F401" in f"{a.title}{a.message}"
    ]
    assert [a.file for a in flake8] == ["backend/app/server.py"], run.annotations
    linters = run.job("ci/lint").step("lint").outputs["linters-run"]
    assert '"hadolint"' in linters and '"flake8"' in linters
    assert results["ci/test"] == "failure", run.describe()
    test_log = re.sub(r"\x1b\[[0-9;]*m", "", run.job("ci/test").text)  # pytest's colours
    assert "test_the_checkout_total_is_right FAILED" in test_log
    assert "test_the_ci_environment_reaches_the_tests PASSED" in test_log
    audit = run.job("ci/audit")
    assert audit.result == "success", run.describe()  # information only
    assert int(audit.step("audit").outputs["findings"]) >= 1
    assert "requests" in audit.summary  # the advisory of the pin, reported
    assert results["ci/docker"] == "success", run.describe()


def test_ai_services_ci_fails_on_flake8_and_builds_the_gateway_from_ai_services(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage, gh: GitHubEmulator
) -> None:
    """AI Services CI Tests 1 and 2: a flake8 error in the gateway fails lint; the gateway's
    Dockerfile builds with ai-services/ as the context; its tests pass."""
    files = with_lint_error(ecommerce_files(), "ai-services/api_gateway/app/server.py")
    gh.set_pull_files(REPO, 12, ["ai-services/api_gateway/app/server.py"])
    variables, secrets, env = ci_settings(registry, python_base_image, gh)
    text, name = example("ecommerce", "ai-services-ci.yml")
    run = pipeline_act(
        text, workflow_file=name, event="pull_request", payload=pull_request(12),
        vars=variables, secrets=secrets, env=env, files=files,
    )  # fmt: skip
    results = job_results(run)
    assert results["ci/lint"] == "failure", run.describe()
    assert any(
        a.file == "ai-services/api_gateway/app/server.py" and "F401" in f"{a.title}{a.message}"
        for a in run.annotations
    ), run.annotations
    assert (results["ci/test"], results["ci/audit"], results["ci/docker"]) == (
        "success",
        "success",
        "success",
    ), run.describe()


def test_backend_ci_by_hand_is_green_on_a_clean_backend(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage, gh: GitHubEmulator
) -> None:
    """Manual dispatch of Backend CI on the fixed code: every job passes ("fix and push:
    CI passes"). The repository sets no OSV_DB here, so pip-audit asks OSV's service, which
    this machine cannot reach: the audit says the dependencies were not checked, and being
    information only, it does not fail the build either (Test 2)."""
    variables, secrets, env = ci_settings(registry, python_base_image, gh)
    del variables["OSV_DB"]
    text, name = example("ecommerce", "backend-ci.yml")
    run = pipeline_act(
        text, workflow_file=name, event="workflow_dispatch", vars=variables, secrets=secrets,
        env=env, files=ecommerce_files(),
    )  # fmt: skip
    results = {k: r for k, r in job_results(run).items() if k.startswith("ci/")}
    assert set(results) == {"ci/lint", "ci/audit", "ci/test", "ci/docker"}, run.describe()
    assert set(results.values()) == {"success"}, run.describe()
    audit = run.job("ci/audit")
    report = json.loads(audit.step("audit").outputs["report"])
    assert [(m["scanner"], m["allowed"]) for m in report["did_not_run"]] == [
        ("dependencies", True)
    ], report["did_not_run"]
    assert audit.summary.startswith("## Audit: dependencies did not run"), audit.summary[:300]


def release_tags(run: ActRun, job: str) -> list[str]:
    build = run.job(f"{job}/build")
    assert build.result == "success", run.describe()
    return build.step("image").outputs["tags"].splitlines()


@pytest.mark.usefixtures("buildx", "qemu_arm64")
def test_docker_release_by_hand_pushes_both_images_with_latest_and_sha(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage
) -> None:
    """Docker Release Tests 1, 3 and 4: run by hand on main, the backend and the AI gateway
    are each pushed for linux/amd64 and linux/arm64 as <image>-backend and <image>-ai-gateway,
    tagged latest and sha-<short>, both tags one digest; the summary lists both images."""
    image, variables, secret = image_settings(registry, python_base_image, "ecommerce")
    text, name = example("ecommerce", "docker-release.yml")
    run = pipeline_act(
        text,
        workflow_file=name,
        event="workflow_dispatch",
        vars=variables,
        secrets=secret,
        files=ecommerce_files(),
    )
    short = run.sha[:7]
    api = registry_api(registry)
    for job, suffix in (("backend", "-backend"), ("ai-gateway", "-ai-gateway")):
        name_ = image + suffix
        assert release_tags(run, job) == [f"{name_}:latest", f"{name_}:sha-{short}"]
        repository = name_.split("/", 1)[1]
        latest = api.manifest(repository, "latest")
        pinned = api.manifest(repository, f"sha-{short}")
        assert latest is not None and pinned is not None
        assert (
            latest.digest
            == pinned.digest
            == run.job(f"{job}/build").step("image").outputs["digest"]
        )
        assert inspect_platforms(f"{name_}:latest", registry.docker_env()) == [
            "linux/amd64",
            "linux/arm64",
        ]
    summary = run.job("summary")
    assert summary.result == "success", run.describe()
    assert "| backend |" in summary.summary and "| ai-gateway |" in summary.summary
    assert f"`{image}-ai-gateway:sha-{short}`" in summary.summary
    assert run.jobs["backend/github-release"].result == "skipped"  # no GitHub Release here
