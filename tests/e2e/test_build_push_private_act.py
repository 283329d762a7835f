"""build-push's private builds under act: the secret's variable set in the step's `env:` and
the key given as a secret input reach the build through action.yml; on a branch no tag rule
covers, the image is built (so the secret and the private server are checked by the build
itself) and not pushed, with a notice naming the rules."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.build_push._private import PrivateServer, start_private_server
from tests.build_push._run import registry_api
from tests.e2e.act import ActHarness
from tests.e2e.images import track
from tests.services import sshd
from tests.services._common import ServiceUnavailable
from tests.services.base_images import BaseImage
from tests.services.dockerd import DockerEngine
from tests.services.registry import Registry

pytestmark = pytest.mark.usefixtures("buildx", "remove_local_images")

WORKFLOW = """
name: private build
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
        env:
          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
        with:
          images: ${{ vars.IMAGE }}
          tags: |
            type=semver,pattern={{version}}
            type=ref,event=pr
          secrets: npm=NPM_TOKEN
          ssh: default
          ssh-key: ${{ secrets.DEPLOY_KEY }}
          registry-username: ${{ vars.REGISTRY_USERNAME }}
          registry-password: ${{ secrets.REGISTRY_PASSWORD }}
"""


@pytest.fixture
def private_server(tmp_path: Path, docker_engine: DockerEngine) -> Iterator[PrivateServer]:
    marker = "private-dependency-" + secrets.token_hex(8)
    try:
        private = start_private_server(tmp_path / "private-git", docker_engine.docker, marker)
    except ServiceUnavailable as exc:
        pytest.fail(f"the test bed's sshd: {exc.reason}")
    yield private
    sshd.stop(private.server)


def test_private_build_on_a_branch_no_rule_covers_under_act(
    act: ActHarness, registry: Registry, base_image: BaseImage, private_server: PrivateServer
) -> None:
    value = "shipyard-canary-" + secrets.token_hex(24)
    checked = hashlib.sha256(value.encode()).hexdigest()
    image = track(f"{registry.address}/act/private-{secrets.token_hex(3)}")
    files: dict[str, str | bytes] = {
        "Dockerfile": private_server.dockerfile(base_image.ref, secret_sha256=checked),
        **private_server.context_files(),
    }
    run = act(
        WORKFLOW,
        ref="refs/heads/feature/private-deps",
        vars={"IMAGE": image, "REGISTRY_USERNAME": registry.username},
        secrets={
            "NPM_TOKEN": value,
            "DEPLOY_KEY": private_server.key,
            "REGISTRY_PASSWORD": registry.password,
        },
        files=files,
    )
    step = run.step("image", "image")
    assert step.outcome == "success", run.describe()
    assert step.outputs["pushed"] == "false" and step.outputs["tags"] == ""
    text = run.job("image").text
    assert "--secret id=npm,env=NPM_TOKEN" in text and "--ssh default=" in text
    notices = [a for a in run.annotations if a.level == "notice"]
    assert any(
        "refs/heads/feature/private-deps (push event)" in a.message
        and "type=semver,pattern={{version}}; type=ref,event=pr" in a.message
        for a in notices
    ), [a.message for a in run.annotations]
    key_body = [line for line in private_server.key.splitlines() if not line.startswith("---")]
    for needle in (value, *key_body):
        assert needle not in run.text + run.summary
    assert registry_api(registry).tags(image.split("/", 1)[1]) == []
