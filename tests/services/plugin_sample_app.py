"""pytest fixtures for the example pipelines: the sample app's Python base image."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services import dockerd, python_image
from tests.services import registry as registry_service
from tests.services._common import ServiceUnavailable
from tests.services._require import unavailable


@pytest.fixture(scope="session")
def python_base_image(
    docker_engine: dockerd.DockerEngine,
    buildx: dockerd.Buildx,
    registry: registry_service.Registry,
    testbed_session_dir: Path,
) -> python_image.PythonImage:
    """Debian's python3 on busybox, linux/amd64 + linux/arm64, pushed to ``registry`` as
    ``testbed/python:3``: the sample app's ``BASE_IMAGE``. Attributes: ref, platform_refs,
    platforms."""
    try:
        return python_image.build_and_push(
            registry, testbed_session_dir / "python-image", docker_engine.docker
        )
    except ServiceUnavailable as exc:
        unavailable("python-image", exc.reason)
