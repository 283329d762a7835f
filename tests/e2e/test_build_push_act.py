"""build-push end to end: the examples and other workflows under act (host mode, so the docker
CLI reaches the test bed's dockerd), with `uses: your-org/actions/build-push@v1`, against the
registry with htpasswd auth."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.build_push._run import registry_api
from tests.e2e.act import ActHarness
from tests.e2e.images import track
from tests.services.base_images import BaseImage, inspect_platforms
from tests.services.qemu import QemuStatus
from tests.services.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
BASIC = ROOT / "examples" / "build-push-basic.yml"
FANOUT = ROOT / "examples" / "build-push-fanout.yml"

pytestmark = pytest.mark.usefixtures("buildx", "qemu_arm64", "remove_local_images")


def app_files(base: BaseImage) -> dict[str, str]:
    return {
        "Dockerfile": (
            f"FROM {base.ref}\nRUN uname -m > /arch\nARG BUILD_VERSION=dev\n"
            'LABEL app.version=$BUILD_VERSION\nCMD ["cat", "/arch"]\n'
        )
    }


def settings(registry: Registry, name: str) -> tuple[str, dict[str, str], dict[str, str]]:
    image = track(f"{registry.address}/act/{name}-{secrets.token_hex(3)}")
    variables = {"IMAGE": image, "REGISTRY_USERNAME": registry.username}
    return image, variables, {"REGISTRY_PASSWORD": registry.password}


def test_basic_example_pushes_a_two_platform_image(
    act: ActHarness, registry: Registry, base_image: BaseImage, qemu_arm64: QemuStatus
) -> None:
    image, variables, secret = settings(registry, "basic")
    run = act(BASIC, vars=variables, secrets=secret, files=app_files(base_image))
    run.raise_for_failure()
    step = run.step("image", "image")
    assert step.outcome == "success"
    digest = step.outputs["digest"]
    assert step.outputs["tags"].splitlines() == [f"{image}:latest", f"{image}:sha-{run.sha[:7]}"]
    assert step.outputs["image-refs"] == f"{image}@{digest}"
    assert set(json.loads(step.outputs["platform-digests"])) == {"linux/amd64", "linux/arm64"}
    assert inspect_platforms(f"{image}:latest", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    assert "pushed: true" in run.job("image").text
    assert f"| {image} | latest, sha-{run.sha[:7]} | `{digest}` |" in step.summary
    assert registry.password not in run.text + run.summary


def test_fanout_example_builds_per_platform_then_merges(
    act: ActHarness, registry: Registry, base_image: BaseImage
) -> None:
    image, variables, secret = settings(registry, "fanout")
    run = act(
        FANOUT,
        vars=variables,
        secrets=secret,
        files=app_files(base_image),
        # the arm runner of the example runs on this host too (arm64 through QEMU here)
        extra_args=["-P", "ubuntu-24.04-arm=-self-hosted"],
    )
    run.raise_for_failure()
    builds = [job for key, job in run.jobs.items() if key.startswith("build")]
    assert len(builds) == 2
    pushed = {job.step("build").outputs["tags"] for job in builds}
    short = run.sha[:7]
    assert pushed == {f"{image}:sha-{short}-linux-amd64", f"{image}:sha-{short}-linux-arm64"}
    merge = run.step("merge", "merge")
    digests = json.loads(merge.outputs["platform-digests"])
    assert set(digests) == {"linux/amd64", "linux/arm64"}
    build_digests = {job.step("build").outputs["digest"] for job in builds}
    assert set(digests.values()) == build_digests
    assert inspect_platforms(f"{image}:latest", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    assert (
        merge.outputs["digest"]
        == registry_api(registry)
        .manifest(  # type: ignore[union-attr]
            image.split("/", 1)[1], f"sha-{short}"
        )
        .digest
    )


WORKFLOW = """
name: release
on: [push, pull_request]
permissions:
  contents: read
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - id: image
        continue-on-error: true
        uses: your-org/actions/build-push@v1
        with:
          images: ${{ vars.IMAGE }}
          platforms: ${{ vars.PLATFORMS || 'linux/amd64' }}
          registry-username: ${{ vars.REGISTRY_USERNAME }}
          registry-password: ${{ secrets.REGISTRY_PASSWORD }}
      - id: verdict
        env:
          OUTCOME: ${{ steps.image.outcome }}
        run: echo "outcome=$OUTCOME"
"""


def test_release_tag_under_act_gets_the_semver_set(
    act: ActHarness, registry: Registry, base_image: BaseImage
) -> None:
    image, variables, secret = settings(registry, "release")
    run = act(
        WORKFLOW,
        ref="refs/tags/v1.2.3",
        vars=variables,
        secrets=secret,
        files=app_files(base_image),
    )
    step = run.step("image", "image")
    assert step.outcome == "success", run.describe()
    assert step.outputs["tags"].splitlines() == [
        f"{image}:{tag}" for tag in ("1.2.3", "1.2", "1", "latest")
    ]
    assert step.outputs["version"] == "1.2.3"


def test_pull_request_under_act_builds_without_pushing(
    act: ActHarness, registry: Registry, base_image: BaseImage
) -> None:
    image, variables, secret = settings(registry, "pr")
    head = "c0ffee" + "0" * 34
    run = act(
        WORKFLOW,
        event="pull_request",
        payload={
            "number": 42,
            "pull_request": {"number": 42, "head": {"sha": head, "ref": "fix/x"}},
        },
        vars=variables,
        secrets=secret,
        files=app_files(base_image),
    )
    step = run.step("image", "image")
    assert step.outcome == "success", run.describe()
    assert step.outputs["pushed"] == "false"
    assert step.outputs["tags"].splitlines() == [f"{image}:pr-42", f"{image}:sha-c0ffee0"]
    assert registry_api(registry).tags(image.split("/", 1)[1]) == []


def test_failures_under_act_are_annotated_with_the_exit_code(
    act: ActHarness, registry: Registry, base_image: BaseImage
) -> None:
    image, variables, secret = settings(registry, "fail")
    # a platform with no QEMU: exit 2 before anything is built
    run = act(
        WORKFLOW,
        vars={**variables, "PLATFORMS": "linux/amd64,linux/riscv64"},
        secrets=secret,
        files=app_files(base_image),
    )
    step = run.step("image", "image")
    assert step.outcome == "failure"
    inner = run.step("image", "image/run")  # the action's one step: the exit code is its
    assert "exit status 2" in inner.messages, run.describe()
    errors = [a for a in run.annotations if a.level == "error"]
    assert any(a.title == "Platform needs QEMU" for a in errors), [a.message for a in errors]
    assert "Traceback" not in run.text
    # a wrong password: exit 2, the registry and the user named, nothing pushed
    wrong = act(
        WORKFLOW,
        vars=variables,
        secrets={"REGISTRY_PASSWORD": "wrong-password"},
        files=app_files(base_image),
    )
    assert "exit status 2" in wrong.step("image", "image/run").messages, wrong.describe()
    errors = [a for a in wrong.annotations if a.level == "error"]
    assert any(
        a.title == "Registry authentication failed" and registry.username in a.message
        for a in errors
    ), [a.message for a in errors]
    assert registry_api(registry).tags(image.split("/", 1)[1]) == []


DRY_RUN = r"""
name: check tags
on: [push]
permissions:
  contents: read
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - id: image
        uses: your-org/actions/build-push@v1
        with:
          images: |
            ${{ vars.IMAGE }}
            name=ghcr.io/your-org/app,enable=false
          tags: |
            type=match,pattern=v(\d+\.\d+),group=1
            type=semver,pattern={{version}}
            type=raw,value=from-{{base_ref}}
          platforms: linux/amd64,linux/arm64
          registry-username: ${{ vars.REGISTRY_USERNAME }}
          registry-password: ${{ secrets.REGISTRY_PASSWORD }}
          dry-run: true
"""


def test_dry_run_under_act_prints_the_plan_and_pushes_nothing(
    act: ActHarness, registry: Registry, base_image: BaseImage
) -> None:
    image, variables, secret = settings(registry, "dry")
    run = act(
        DRY_RUN,
        ref="refs/tags/v1.2.3",
        payload={"ref": "refs/tags/v1.2.3", "base_ref": "refs/heads/main"},
        vars=variables,
        secrets=secret,
        files=app_files(base_image),
    )
    run.raise_for_failure()
    step = run.step("image", "image")
    assert step.outcome == "success", run.describe()
    metadata = json.loads(step.outputs["metadata"])
    assert metadata["dry-run"] is True and metadata["pushed"] is False
    assert metadata["tags"] == ["1.2.3", "1.2", "from-main", "latest"]
    assert step.outputs["pushed"] == "false"
    text = run.job("image").text
    assert "build-push dry run" in text and "linux/arm64" in text
    assert "docker login" not in text
    assert registry_api(registry).tags(image.split("/", 1)[1]) == []
    assert registry.password not in run.text + run.summary
