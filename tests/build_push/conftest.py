"""Fixtures of the build-push tests: a sample app, unique repositories, the faulty proxy."""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services._common import run
from tests.services.base_images import BaseImage
from tests.services.faulty_proxy import FaultyProxy
from tests.services.registry import Registry

#: A small app: FROM the test bed's busybox, a RUN step (emulated by QEMU for arm64), the
#: build-info args consumed late so they do not invalidate the RUN layer.
DOCKERFILE = """\
FROM {base}
RUN uname -m > /arch && echo built > /built
ARG BUILD_VERSION=dev
ARG BUILD_SHA=unknown
LABEL app.version=$BUILD_VERSION
CMD ["cat", "/arch"]
"""


def write_app(directory: Path, base: str, dockerfile: str = DOCKERFILE) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(dockerfile.format(base=base))
    (directory / "index.html").write_text("<h1>hello</h1>\n")
    return directory


@pytest.fixture
def app(tmp_path: Path, base_image: BaseImage) -> Path:
    """A workspace with the sample app's Dockerfile, FROM the registry's multi-arch busybox."""
    return write_app(tmp_path / "workspace", base_image.ref)


@pytest.fixture
def repository(request: pytest.FixtureRequest) -> Iterator[str]:
    """A repository name of this test's own in the test registry. The images the docker
    driver kept in the engine's store for it are removed afterwards."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    repository = f"build-push/{name}-{secrets.token_hex(3)}"
    yield repository
    docker = shutil.which("docker")
    if docker is None:
        return
    listed = run([docker, "image", "ls", "--format", "{{.Repository}} {{.ID}}"], timeout=60)
    refs = sorted(
        {
            line.split()[1]
            for line in listed.stdout.splitlines()
            if line.split()[0].endswith(f"/{repository}")
        }
    )
    if refs:
        run([docker, "image", "rm", "--force", *refs], timeout=120)


@pytest.fixture
def registry_inputs(registry: Registry) -> dict[str, str]:
    return {"registry-username": registry.username, "registry-password": registry.password}


@pytest.fixture
def faulty_proxy(registry: Registry) -> Iterator[FaultyProxy]:
    """A reverse proxy in front of the test registry that can answer 503 on demand."""
    with FaultyProxy(registry.port) as proxy:
        yield proxy
