"""pytest fixture for the pipelines' service containers: PostgreSQL and Redis images."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services import dockerd, service_images
from tests.services import registry as registry_service
from tests.services._common import ServiceUnavailable
from tests.services._require import unavailable


@pytest.fixture(scope="session")
def service_images_pushed(
    docker_engine: dockerd.DockerEngine,
    buildx: dockerd.Buildx,
    registry: registry_service.Registry,
    testbed_session_dir: Path,
) -> service_images.ServiceImages:
    """Debian's postgresql-15 and redis-server as ``testbed/postgres:15`` and
    ``testbed/redis:7`` (linux/amd64) in ``registry``, built once per session."""
    try:
        return service_images.build_and_push(
            registry, testbed_session_dir / "service-images", docker_engine.docker
        )
    except ServiceUnavailable as exc:
        unavailable("service-images", exc.reason)
