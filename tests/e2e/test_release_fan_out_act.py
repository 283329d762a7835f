"""release.yml fanned out: one runner per platform, then the merge, under act.

Each test runs an example caller as users would have it in their repository, with
``your-org/actions@v1`` resolving to this checkout (see tests/e2e/pipeline_helpers.py and the
fixtures in tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest

from tests.e2e.act import ActHarness
from tests.e2e.pipeline_helpers import (
    image_settings,
)
from tests.e2e.pipelines import (
    sample_app_files,
)
from tests.services.base_images import inspect_platforms
from tests.services.python_image import PythonImage
from tests.services.registry import Registry

pytestmark = pytest.mark.usefixtures("remove_local_images")


FAN_OUT = """
name: Release
on:
  push:
    tags: ["v*.*.*"]
permissions: {}
jobs:
  release:
    uses: your-org/actions/.github/workflows/release.yml@v1
    permissions:
      contents: write
      packages: write
    with:
      image: ${{ vars.IMAGE }}
      build-args: BASE_IMAGE=${{ vars.BASE_IMAGE }}
      registry-username: ${{ vars.REGISTRY_USERNAME }}
      fan-out: true
      runners: '[{"platform": "linux/amd64", "runner": "ubuntu-24.04"},
                 {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm"}]'
    secrets:
      REGISTRY_PASSWORD: ${{ secrets.REGISTRY_PASSWORD }}
  show:
    needs: release
    runs-on: ubuntu-latest
    steps:
      - env:
          DIGEST: ${{ needs.release.outputs.digest }}
          VERSION: ${{ needs.release.outputs.version }}
        run: echo "release $VERSION $DIGEST"
"""


@pytest.mark.usefixtures("buildx", "qemu_arm64")
def test_release_fan_out_builds_each_platform_then_merges_the_semver_tags(
    pipeline_act: ActHarness, registry: Registry, python_base_image: PythonImage
) -> None:
    image, variables, secret = image_settings(registry, python_base_image, "fanout")
    run = pipeline_act(
        FAN_OUT,
        ref="refs/tags/v2.1.0",
        vars=variables,
        secrets={"REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"]},
        files=sample_app_files(),
        extra_args=["-P", "ubuntu-24.04-arm=-self-hosted"],
    )
    platforms = [job for key, job in run.jobs.items() if key.startswith("release/platform")]
    assert [job.result for job in platforms] == ["success", "success"], run.describe()
    assert run.jobs["release/build"].result == "skipped"
    merge = run.job("release/merge")
    assert merge.result == "success", run.describe()
    tags = merge.step("image").outputs["tags"].splitlines()
    assert tags == [f"{image}:{t}" for t in ("2.1.0", "2.1", "2", "latest")]
    assert inspect_platforms(f"{image}:2.1.0", registry.docker_env()) == [
        "linux/amd64",
        "linux/arm64",
    ]
    digest = merge.step("image").outputs["digest"]
    assert f"release 2.1.0 {digest}" in run.job("show").text
    assert f"| digest | `{digest}` |" in run.job("release/summary").summary
