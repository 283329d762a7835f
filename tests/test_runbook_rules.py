"""The runbooks' rules that the workflow files state by themselves, read from the examples as a
team has them (examples/<runbook>/): triggers and manual runs, branches and tags -> environments,
schedules, tag schemes, image names, gates, approvals, channels and recipients. What only a run
can show (a failing linter, a coverage gate, a denied approval, a rollback) is proven under act
in tests/e2e/test_runbook_*_act.py; examples/README.md maps each runbook line to its test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def load(runbook: str, name: str) -> dict[str, Any]:
    doc = yaml.safe_load((EXAMPLES / runbook / name).read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads `on` as True
    return dict(doc)


def job(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(doc["jobs"][name])


def given(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(job(doc, name).get("with") or {})


# ------------------------------------------------------------------------------ ecommerce


@pytest.mark.parametrize(
    ("name", "folder"), [("backend-ci.yml", "backend"), ("ai-services-ci.yml", "ai-services")]
)
def test_ecommerce_ci_runs_on_pull_requests_touching_its_folder_and_by_hand(
    name: str, folder: str
) -> None:
    doc = load("ecommerce", name)
    assert set(doc["on"]) == {"pull_request", "workflow_dispatch"}
    assert doc["on"]["pull_request"]["paths"] == [f"{folder}/**", f".github/workflows/{name}"]
    ci = given(doc, "ci")
    assert ci["python-version"] == "3.11"
    assert ci["linters"] == "flake8, hadolint"
    assert ci["lint-args"].startswith("flake8=--max-line-length=120")
    assert ci["audit-gating"] is False  # pip-audit: information only


def test_ecommerce_backend_tests_get_the_runbook_environment() -> None:
    ci = given(load("ecommerce", "backend-ci.yml"), "ci")
    assert ci["install-command"].endswith("-r requirements/prod.txt -r requirements/tests.txt")
    assert ci["test-env"].splitlines() == [
        "DJANGO_SETTINGS_MODULE=config.settings.development",
        "SECRET_KEY=test-secret-key-local",
        "DATABASE_URL=sqlite:///test.db",
    ]


def test_ecommerce_release_on_main_changes_and_by_hand_builds_two_images() -> None:
    doc = load("ecommerce", "docker-release.yml")
    assert doc["on"]["push"] == {"branches": ["main"], "paths": ["backend/**", "ai-services/**"]}
    assert "workflow_dispatch" in doc["on"]
    backend, gateway = given(doc, "backend"), given(doc, "ai-gateway")
    assert backend["image"].endswith("}}-backend") and gateway["image"].endswith("}}-ai-gateway")
    assert "ghcr.io" in backend["image"] and "ghcr.io" in gateway["image"]
    assert gateway["dockerfile"] == "ai-services/api_gateway/Dockerfile"
    for release in (backend, gateway):
        assert "linux/amd64,linux/arm64" in release["platforms"]
        assert "tags" not in release  # build-push's default on main: latest + sha-<short>
        assert "github-release" not in release
    assert job(doc, "summary")["needs"] == ["backend", "ai-gateway"]


# ------------------------------------------------------------------------------- platform


def test_platform_pr_checks_gate_both_services_and_never_block_on_the_preview_scan() -> None:
    doc = load("platform", "pr-checks.yml")
    assert doc["on"] == {"pull_request": {"branches": ["main", "develop", "phase-*"]}}
    backend, ai = given(doc, "backend"), given(doc, "ai-services")
    for ci in (backend, ai):
        assert ci["linters"] == "flake8, pylint, black, isort"
    assert backend["coverage-fail-under"] == 80
    assert set(yaml.safe_load(backend["services"])) == {"postgres", "redis"}
    # security-preview, "quick Trivy scan (non-blocking)": trivy's vulnerabilities, secrets and
    # misconfigurations, informational (python-ci then lets any scanner be unavailable)
    assert (backend["audit-scanners"], backend["audit-gating"]) == (
        "container, secrets, iac",
        False,
    )


def test_platform_staging_deploys_develop_and_phase_branches_without_approval() -> None:
    doc = load("platform", "staging-deploy.yml")
    assert doc["on"]["push"] == {"branches": ["develop", "phase-*/**"]}
    assert "workflow_dispatch" in doc["on"]
    deploy = given(doc, "deploy-staging")
    assert deploy["environment"] == "staging"
    assert "approvers" not in deploy
    assert "staging-api.example.com" in deploy["url"]
    assert "#deployments" in deploy["slack-channel"]
    assert "health" in deploy["smoke-command"]


def test_platform_production_rules() -> None:
    doc = load("platform", "production-deploy.yml")
    assert doc["on"]["push"] == {"tags": ["v*.*.*"]}
    inputs = doc["on"]["workflow_dispatch"]["inputs"]
    assert inputs["version"]["required"] is True
    assert (inputs["skip_tests"]["type"], inputs["skip_tests"]["default"]) == ("boolean", False)
    scan = given(doc, "security-scan")
    assert (scan["audit-gating"], scan["audit-severity"]) == (True, "high")
    assert scan["audit-scanners"] == "dependencies, code, secrets, iac"
    assert scan["tests"] == "${{ !inputs.skip_tests }}"
    assert "audit-allow-unavailable" not in scan  # blocking: a scan that cannot look blocks
    # "Container vulnerabilities (Trivy)", blocking: the pushed image, before the approval; a
    # scanner that cannot run blocks unless the repository's variable says otherwise
    image = given(doc, "scan-image")
    assert job(doc, "scan-image")["needs"] == "build-push-production"
    assert (image["scanners"], image["fail-on-severity"]) == ("container", "high")
    assert image["image"] == "${{ needs.build-push-production.outputs.image-refs }}"
    assert image["allow-unavailable"] == "${{ vars.IMAGE_SCAN_ALLOW_UNAVAILABLE }}"
    assert job(doc, "deploy-production")["needs"] == ["build-push-production", "scan-image"]
    deploy = given(doc, "deploy-production")
    assert (deploy["environment"], deploy["strategy"]) == ("production", "blue-green")
    assert deploy["minimum-approvals"] == 2 and "devops" in deploy["approvers"]
    assert "5m" in deploy["monitor"] and "30s" in deploy["monitor-interval"]
    assert "migrate-command" in deploy
    assert "#deployments" in deploy["slack-channel"]
    assert "devops@example.com" in deploy["email-to"] and deploy["email-when"] == "failure"
    assert "api.example.com" in deploy["url"]
    release = job(doc, "github-release")
    assert release["needs"] == ["build-push-production", "deploy-production"]
    assert release["if"] == "${{ needs.deploy-production.outputs.status == 'deployed' }}"


# ---------------------------------------------------------------------------------- amani


def test_amani_ci_informational_linters_coverage_85_and_postgres() -> None:
    doc = load("amani", "ci.yml")
    assert doc["on"] == {
        "push": {"branches": ["main", "develop"]},
        "pull_request": {"branches": ["main", "develop"]},
    }
    ci = given(doc, "ci")
    assert ci["informational"] == ci["linters"] == "black, flake8"
    assert ci["coverage-fail-under"] == 85
    assert set(yaml.safe_load(ci["services"])) == {"postgres"}
    assert "ENVIRONMENT=testing" in ci["test-env"].splitlines()
    assert ci["build-after-tests"] is True
    # staging's "Build and Test" runs the same tests, against the same PostgreSQL service
    staging = given(load("amani", "deploy-staging.yml"), "build-and-test")
    for key in ("services", "test-env", "coverage-fail-under", "informational", "test-command"):
        assert staging[key] == ci[key], key


def test_amani_security_scans_never_block_and_codeql_runs_weekly() -> None:
    doc = load("amani", "security-scan.yml")
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(doc["on"])
    scan = given(doc, "scan")
    assert "container" in scan["scanners"] and scan["image"].endswith(":latest")
    assert scan["fail-on-severity"] == "${{ github.event_name == 'schedule' && 'high' || 'never' }}"
    preview = job(doc, "preview")["steps"][1]["with"]
    assert preview["fail-on-severity"] == "never"
    # "warnings allowed": nothing blocks a push or a pull request, not even a scanner that could
    # not run; the daily run lets only trivy's image scan be missing
    assert preview["allow-unavailable"] == "all"
    assert scan["allow-unavailable"] == (
        "${{ github.event_name == 'schedule' && 'container' || 'all' }}"
    )
    # "artifact reports" (JSON), kept 90 days: the SARIF file and the SBOM
    assert (scan["sbom"], scan["upload-artifact"], scan["retention-days"]) == (True, True, 90)
    codeql = load("amani", "codeql.yml")
    assert codeql["on"]["schedule"] == [{"cron": "0 6 * * 1"}]  # Mondays 06:00 UTC
    init = job(codeql, "analyze")["steps"][1]["with"]
    assert "security-extended" in init["queries"] and "tests" in init["config"]


def test_amani_staging_from_develop_and_production_from_main_and_tags() -> None:
    staging = load("amani", "deploy-staging.yml")
    assert staging["on"]["push"] == {"branches": ["develop"]}
    assert "workflow_dispatch" in staging["on"]
    tags = given(staging, "build-and-push")["tags"].splitlines()
    assert tags == ["type=raw,value=staging-latest", "type=raw,value=staging-{{sha}}", "type=sha"]
    assert given(staging, "deploy-staging")["environment"] == "staging"
    production = load("amani", "deploy.yml")
    assert production["on"]["push"] == {"branches": ["main"], "tags": ["v*.*.*"]}
    assert "workflow_dispatch" in production["on"]
    build = given(production, "build-and-push")
    assert "ghcr.io" in build["image"] and "docker.io" in build["image"]
    assert "type=raw,value=prod-{{sha}}" in build["tags"]
    assert "type=raw,value=main-{{sha}},enable={{is_default_branch}}" in build["tags"]
    deploy = given(production, "deploy-production")
    assert deploy["environment"] == "production"
    assert deploy["approvers"].startswith("${{ startsWith(github.ref, 'refs/tags/')")
    assert {"pre-deploy", "post-rollback", "migrate-command", "smoke-command"} <= set(deploy)


# ---------------------------------------------------------------------------- company-app


def test_company_app_branches_environments_and_tags() -> None:
    doc = load("company-app", "pipeline.yml")
    branches = ["develop", "staging", "main"]
    assert doc["on"] == {"push": {"branches": branches}, "pull_request": {"branches": branches}}
    ci = given(doc, "ci")
    assert ci["python-version"] == "3.11" and ci["linters"] == "black, ruff, mypy"
    assert ci["coverage-fail-under"] == 80
    assert set(yaml.safe_load(ci["services"])) == {"postgres", "redis"}
    assert (ci["audit-scanners"], ci["audit-gating"]) == ("code, dependencies, secrets", True)
    build = job(doc, "build")
    assert build["if"] == "${{ github.event_name == 'push' }}"
    assert build["with"]["tags"].splitlines() == [
        "type=sha,format=long,prefix=",
        "type=raw,value=latest",
    ]
    deploy = given(doc, "deploy")
    assert deploy["environment"] == (
        "${{ github.ref_name == 'main' && 'production' || github.ref_name == 'staging' "
        "&& 'staging' || 'dev' }}"
    )
    assert "https://app.company.com" in deploy["url"]
    alert = job(doc, "alert")["steps"][0]["with"]
    assert "#ci-cd-alerts" in alert["slack-channel"] and "dev-team@company.com" in alert["email-to"]
    manual = load("company-app", "deploy.yml")
    options = manual["on"]["workflow_dispatch"]["inputs"]["environment"]["options"]
    assert options == ["dev", "staging", "production"]


# -------------------------------------------------------------------------------- agentic


def test_agentic_ci_services_and_build_after_lint_and_tests() -> None:
    ci = given(load("agentic", "ci.yml"), "ci")
    assert ci["linters"] == "black, isort, flake8, mypy"
    assert set(yaml.safe_load(ci["services"])) == {"redis"}
    assert ci["build-after-tests"] is True and "import app" in ci["docker-smoke-command"]
    secrets = job(load("agentic", "ci.yml"), "ci")["secrets"]
    assert "OPENAI_API_KEY_TEST" in secrets["TEST_ENV"]


def test_agentic_cd_staging_on_main_production_on_tags_release_after_deploy() -> None:
    doc = load("agentic", "cd.yml")
    assert doc["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    staging, production = given(doc, "staging"), given(doc, "production")
    assert staging["environment"] == "staging" and "approvers" not in staging
    assert (production["environment"], production["strategy"], production["replicas"]) == (
        "production",
        "rolling",
        3,
    )
    assert "backup" in production["pre-deploy"] and "restore" in production["post-rollback"]
    release = job(doc, "github-release")
    assert release["if"] == "${{ needs.production.outputs.status == 'deployed' }}"
    assert "github-release" not in given(doc, "release")


def test_agentic_scheduled_tasks_daily_at_two() -> None:
    doc = load("agentic", "scheduled.yml")
    assert doc["on"]["schedule"] == [{"cron": "0 2 * * *"}]
    dependencies = given(doc, "dependencies")
    assert (dependencies["fail-on-severity"], dependencies["report-issues"]) == ("high", True)
    assert "allow-unavailable" not in dependencies  # a check that could not check fails
    trivy = given(doc, "security-scan")
    assert "container" in trivy["scanners"]
    assert trivy["allow-unavailable"] == "container"  # a night without trivy's DB: said, not red
