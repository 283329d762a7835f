"""The amani runbook (examples/amani/) under act, with the workflow files as a team has them.

CI: Black and Flake8 findings never fail it; the tests run against a PostgreSQL service
container; coverage below 85% fails the test job, and then no image is built. Production: a
push to main builds once, pushes to two registries with the runbook's tags and the build
metadata, and deploys to production without an approval (tagged releases need one).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.act import ActHarness
from tests.e2e.images import track
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    UNCOVERED,
    deploy_fixtures,
    deploy_settings,
    image_settings,
    job_results,
    service_vars,
    strip_colours,
    with_service_tests,
)
from tests.e2e.pipelines import example, sample_app_files
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.service_images import ServiceImages
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

pytestmark = pytest.mark.usefixtures("remove_local_images")


def test_amani_ci_linters_inform_postgres_serves_the_tests_and_coverage_below_85_fails(
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    service_images_pushed: ServiceImages,
    gh: GitHubEmulator,
) -> None:
    """A push to develop with a Black and a Flake8 finding and code no test covers: the lint
    job succeeds (both informational) with the findings reported; the integration test stores
    a row in the PostgreSQL service; the coverage gate of 85% fails the test job; the image is
    not built (it builds only once linting and testing pass)."""
    files = with_service_tests(sample_app_files(), redis=False)
    files["app/server.py"] = files["app/server.py"].replace(
        "import json\n", "import json\nimport sys\n", 1
    )
    files["app/reports.py"] = UNCOVERED + "x   =  1\n"  # not Black's formatting
    _, variables, secret = image_settings(registry, python_base_image, "amani-ci")
    text, name = example("amani", "ci.yml")
    run = pipeline_act(
        text, workflow_file=name, ref="refs/heads/develop",
        vars={**variables, **service_vars(service_images_pushed)},
        secrets={"REGISTRY_LOGINS": secret["REGISTRY_LOGINS"]},
        env={"GITHUB_API_URL": gh.api_v3_url}, files=files,
    )  # fmt: skip
    results = job_results(run)
    lint = run.job("ci/lint")
    assert lint.result == "success", run.describe()  # informational
    assert int(lint.step("lint").outputs["findings"]) >= 2
    reported = {a.file for a in run.annotations if a.level in ("warning", "notice")}
    assert {"app/server.py", "app/reports.py"} <= reported, run.annotations
    test = run.job("ci/test")
    assert test.result == "failure", run.describe()
    log = strip_colours(test.text)
    assert re.search(r"\b8 passed\b", log), log[-1500:]  # 7 unit tests, 1 against PostgreSQL
    assert f"service postgres: {service_images_pushed.postgres} ready" in log
    gate = [a for a in run.annotations if a.title == "Coverage"]
    assert gate and "below the gate of 85%" in gate[0].message, run.annotations
    assert results["ci/docker"] == "skipped", run.describe()


def test_amani_push_to_main_pushes_two_registries_and_deploys_production(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    gh: GitHubEmulator,
    slack_emulator: SlackEmulator,
) -> None:
    """deploy.yml on main: one build pushed under two names (GHCR and Docker Hub there, two
    repositories of the test registry here, one credentials line) tagged latest, prod-<sha>
    and main-<sha>, with the build metadata; production deploys without an approval."""
    from tests.services.loadgen import fetch

    host, _ = deploy_fixtures(request)
    app = "amani"
    hosts, url = deploy_settings(host, "PRODUCTION", app)
    image, variables, secret = image_settings(registry, python_base_image, "amani")
    second = track(image + "-dockerhub")
    text, name = example("amani", "deploy.yml")
    channel = slack_emulator.add_channel("#deployments")
    try:
        run = pipeline_act(
            text,
            workflow_file=name,
            vars={
                **variables,
                **hosts,
                "SECOND_IMAGE": second,
                "MIGRATE_COMMAND": "python3 -m app.migrate",  # the image's; alembic on theirs
                "SLACK_API_URL": slack_emulator.api_url,
            },
            secrets={
                "SSH_KEY": host.ssh.client_key.read_text(),
                "REGISTRY_LOGINS": secret["REGISTRY_LOGINS"],
                "PULL_PASSWORD": secret["REGISTRY_PASSWORD"],
                "APP_ENV": "DATABASE_URL=postgresql://amani@db.internal/amani\nENVIRONMENT=production",
                "GITHUB_TOKEN": APPROVAL_TOKEN,
                "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            },
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=sample_app_files(),
            timeout=900,
        )
        build = run.job("build-and-push/build")
        assert build.result == "success", run.describe()
        tags = build.step("image").outputs["tags"].splitlines()
        short = run.sha[:7]
        expected = ("latest", f"prod-{short}", f"main-{short}")
        assert sorted(tags) == sorted(f"{n}:{t}" for n in (image, second) for t in expected)
        metadata = json.dumps(json.loads(build.step("image").outputs["metadata"]))
        assert "BUILD_SHA" in metadata and "org.opencontainers.image.revision" in metadata
        deploy = run.job("deploy-production/deploy")
        assert deploy.result == "success", run.describe()
        approvals = [j.result for k, j in run.jobs.items() if k.endswith("/approve")]
        assert set(approvals) <= {"skipped"}, run.describe()  # a push to main: no approval
        assert fetch(url + "version") == build.step("image").outputs["version"]
        assert '"migrate"' in deploy.step("deploy").outputs["hosts"]
        (message,) = slack_emulator.messages(channel)
        assert message["text"].endswith("amani to production deployed")
    finally:
        host.remove_app(app)
