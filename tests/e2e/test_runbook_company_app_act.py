"""The company-app runbook (examples/company-app/) under act, with the workflow files as a team
has them: a pull request below the coverage gate, and the deploy of each branch to its own
environment."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    UNCOVERED,
    deploy_settings,
    image_settings,
    job_results,
    service_vars,
    strip_colours,
    with_service_tests,
)
from tests.e2e.pipelines import REPO, example, sample_app_files
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.service_images import ServiceImages
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

pytestmark = pytest.mark.usefixtures("remove_local_images")


def test_company_app_pull_request_below_80_percent_coverage_fails_and_builds_nothing(
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    service_images_pushed: ServiceImages,
    gh: GitHubEmulator,
) -> None:
    """A pull request to develop adding code no test covers: black, ruff and mypy pass, the
    tests pass against the PostgreSQL 15 and Redis 7 service containers, and
    `--cov-fail-under=80` fails the test job; nothing is built or deployed. The repository
    sets no OSV_DB, and this machine cannot reach OSV's service: the blocking security job
    fails, naming the dependency check it could not make ("Security Scan Blocking Merge"),
    where an informational audit would only say so."""
    files = with_service_tests(sample_app_files())
    files["app/reports.py"] = UNCOVERED
    gh.set_pull_files(REPO, 31, ["app/reports.py"])
    _, variables, secret = image_settings(registry, python_base_image, "company-app-pr")
    text, name = example("company-app", "pipeline.yml")
    run = pipeline_act(
        text, workflow_file=name, event="pull_request",
        payload={"number": 31, "pull_request": {"number": 31, "head": {"ref": "feature/reports"},
                                                 "base": {"ref": "develop"}}},
        vars={**variables, **service_vars(service_images_pushed)},
        secrets={"REGISTRY_LOGINS": secret["REGISTRY_LOGINS"]},
        env={"GITHUB_API_URL": gh.api_v3_url}, files=files,
    )  # fmt: skip
    results = job_results(run)
    assert results["ci/lint"] == "success", run.describe()
    audit = run.job("ci/audit")
    assert audit.result == "failure", run.describe()
    report = json.loads(audit.step("audit").outputs["report"])
    assert [(m["scanner"], m["allowed"]) for m in report["did_not_run"]] == [
        ("dependencies", False)
    ], report["did_not_run"]
    assert report["blocking"] == 0  # bandit and the secret scan found nothing: it could not look
    assert any(a.title == "Audit incomplete" for a in run.annotations), run.annotations
    test = run.job("ci/test")
    assert test.result == "failure", run.describe()
    log = strip_colours(test.text)
    assert re.search(r"\b9 passed\b", log), log[-1500:]  # every test passed: the gate failed
    gate = [a for a in run.annotations if a.title == "Coverage"]
    assert gate and "below the gate of 80%" in gate[0].message, run.annotations
    assert results.get("build", "skipped") == "skipped" and results.get("deploy", "skipped") == (
        "skipped"
    )
    assert not any(key.startswith(("build/", "deploy/")) for key in results)


def test_company_app_deploys_each_branch_to_its_own_environment(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """pipeline.yml on a push to develop, then on a push to main: lint, the tests against the
    PostgreSQL and Redis service containers, security, the image tagged with the commit SHA and
    latest, then deploy.yml to dev (develop) and to production (main), each on its own machine
    (two namespace hosts, each with its own dockerd, nginx and SSH key), each answering its
    commit, with a Slack message for the production deploy only."""
    images = request.getfixturevalue("service_images_pushed")
    from tests.services.loadgen import fetch

    hosts = request.getfixturevalue("namespace_hosts")
    staging, production = hosts[1], hosts[2]  # each one's own key opens only that host
    app = "company-app"
    staging_vars, staging_url = deploy_settings(staging, "DEV", app)
    production_vars, production_url = deploy_settings(production, "PRODUCTION", app)
    _, variables, secret = image_settings(registry, python_base_image, "company-app")
    channel = slack_emulator.add_channel("#deployments")
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
                **service_vars(images),
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
            files={
                **with_service_tests(sample_app_files()),
                "CHANGES.md": f"Merged to {branch}.\n",  # develop and main: two commits
            },
            timeout=1200,
        )

    try:
        develop = push("develop")
        deploy = develop.job("deploy/deploy")
        assert develop.job("ci/test").result == "success", develop.describe()
        assert deploy.result == "success", develop.describe()
        develop_tags = develop.job("build/build").step("image").outputs["tags"].splitlines()
        assert sorted(t.rsplit(":", 1)[1] for t in develop_tags) == sorted([develop.sha, "latest"])
        dev_answer = fetch(staging_url + "version")
        assert dev_answer == develop.job("build/build").step("image").outputs["version"]
        assert staging.containers(app) and not production.containers(app)

        main = push("main")
        assert main.job("deploy/deploy").result == "success", main.describe()
        main_version = main.job("build/build").step("image").outputs["version"]
        assert main_version != develop.job("build/build").step("image").outputs["version"]
        assert fetch(production_url + "version") == main_version
        assert fetch(staging_url + "version") == dev_answer  # dev untouched
        assert len(production.containers(app)) == 1

        (message,) = slack_emulator.messages(channel)  # the production deploy's, updated
        assert "production" in message["text"]
        assert main.sha in json.dumps(message["history"][0])  # started, for the commit
        everything = develop.text + main.text + develop.summary + main.summary
        assert DEFAULT_TOKEN not in everything and APPROVAL_TOKEN not in everything
    finally:
        staging.remove_app(app)
        production.remove_app(app)
