"""The ecommerce runbook's pipelines (examples/ecommerce/) under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest

from tests.build_push._run import registry_api
from tests.e2e.act import ActHarness
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    image_settings,
)
from tests.e2e.pipelines import (
    REPO,
    example,
    sample_app_files,
)
from tests.services._common import run as run_command
from tests.services.base_images import inspect_platforms
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry

pytestmark = pytest.mark.usefixtures("remove_local_images")


@pytest.mark.usefixtures("buildx", "qemu_arm64")
def test_ecommerce_docker_release_pushes_two_platforms_with_latest_and_sha(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage
) -> None:
    image, variables, secret = image_settings(registry, python_base_image, "ecommerce")
    text, name = example("ecommerce", "docker-release.yml")
    run = pipeline_act(
        text,
        workflow_file=name,
        vars=variables,
        secrets=secret,
        files=sample_app_files("backend/"),
    )
    build = run.job("release/build")
    assert build.result == "success", run.describe()
    short = run.sha[:7]
    step = build.step("image")
    assert step.outputs["tags"].splitlines() == [f"{image}:latest", f"{image}:sha-{short}"]
    assert inspect_platforms(f"{image}:latest", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    repository = image.split("/", 1)[1]
    # the runbook's tags, plus build-push's per-platform tags that the index joins
    assert sorted(registry_api(registry).tags(repository)) == [
        "latest",
        f"sha-{short}",
        f"sha-{short}-linux-amd64",
        f"sha-{short}-linux-arm64",
    ]
    digest = step.outputs["digest"]
    assert registry_api(registry).manifest(repository, "latest").digest == digest  # type: ignore[union-attr]
    # the summary job lists them; no GitHub Release off a tag
    summary = run.job("release/summary")
    assert summary.result == "success"
    assert f"| digest | `{digest}` |" in summary.summary
    assert run.jobs["release/github-release"].result == "skipped"
    # the image answers with its version (build-push's BUILD_VERSION)
    answer = run_command(
        ["docker", "run", "--rm", "--platform", "linux/arm64", f"{image}:sha-{short}",
         "python3", "-c", "import os; print(os.environ['APP_VERSION'])"],
        env=registry.docker_env(), timeout=180,
    )  # fmt: skip
    assert answer.stdout.strip() == f"sha-{short}", answer.stderr


@pytest.mark.usefixtures("buildx", "qemu_arm64")
def test_ecommerce_docker_release_on_a_tag_publishes_a_github_release(
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    github_emulator: GitHubEmulator,
) -> None:
    """docker-release.yml on a v* tag (the GitHub Release on, as the example has it): the
    semver tags, then release.yml's GitHub Release job creates the release for the tag in the
    GitHub emulator with the job token, its body naming the image digest and tags."""
    gh = github_emulator
    gh.add_user("shipyard-bot", token=APPROVAL_TOKEN)
    gh.add_repo(REPO, collaborators={"shipyard-bot": "write"})
    image, variables, secret = image_settings(registry, python_base_image, "ecommerce-tag")
    text, name = example("ecommerce", "docker-release.yml")
    run = pipeline_act(
        text,
        workflow_file=name,
        ref="refs/tags/v1.2.0",
        vars=variables,
        secrets={**secret, "GITHUB_TOKEN": APPROVAL_TOKEN},  # the job token: github.token
        env={"GITHUB_API_URL": gh.api_v3_url},
        files=sample_app_files("backend/"),
    )
    build = run.job("release/build")
    assert build.result == "success", run.describe()
    tags = build.step("image").outputs["tags"].splitlines()
    assert tags == [f"{image}:{t}" for t in ("1.2.0", "1.2", "1", "latest")]
    digest = build.step("image").outputs["digest"]
    job = run.job("release/github-release")
    assert job.result == "success", run.describe()

    (release,) = gh.releases(REPO)
    assert (release["tag_name"], release["name"]) == ("v1.2.0", "v1.2.0")
    assert not release["draft"] and not release["prerelease"]
    assert release["author"]["login"] == "shipyard-bot"
    body = release["body"]
    assert body.startswith(f"Image digest `{digest}`\n\n")
    assert [line for line in body.splitlines() if line.startswith("- ")] == [
        f"- `{tag}`" for tag in tags
    ]
    assert body.endswith(f"**Full Changelog**: {gh.url}/{REPO}/commits/v1.2.0")  # generated
    (create,) = gh.requests_to(f"/repos/{REPO}/releases", "POST")
    assert create.authorization == f"Bearer {APPROVAL_TOKEN}"
    assert create.status == 201
    assert f"GitHub Release v1.2.0 (release id {release['id']})" in job.summary
    assert release["html_url"] in job.text
    assert APPROVAL_TOKEN not in run.text + run.summary
