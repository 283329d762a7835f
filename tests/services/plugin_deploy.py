"""pytest fixtures for the deploy action's test bed: sample app images and deploy hosts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import base_images, deploy_hosts, dockerd
from tests.services import registry as registry_service
from tests.services._common import ServiceUnavailable
from tests.services._require import unavailable


@pytest.fixture(scope="session")
def sample_app(
    docker_engine: dockerd.DockerEngine,
    registry: registry_service.Registry,
    base_image: base_images.BaseImage,
    testbed_session_dir: Path,
) -> deploy_hosts.SampleApp:
    """The sample app in versions v1, v2 (healthy), v3 (unhealthy at start), v4 (unhealthy
    after 4 s), pushed to ``registry``. Attributes: refs (by digest), tags, registry."""
    try:
        return deploy_hosts.build_sample_app(
            registry, base_image.local_refs["linux/amd64"], testbed_session_dir / "deploy"
        )
    except ServiceUnavailable as exc:
        unavailable("sample-app", exc.reason)


@pytest.fixture(scope="session")
def deploy_host(
    docker_engine: dockerd.DockerEngine, testbed_session_dir: Path
) -> Iterator[deploy_hosts.DeployHost]:
    """One host on loopback: sshd (own host key, HOME, DEBUG log) + shared dockerd + nginx."""
    try:
        host = deploy_hosts.start_loopback_host(testbed_session_dir / "deploy-host")
    except ServiceUnavailable as exc:
        unavailable(exc.service, exc.reason)
    yield host
    deploy_hosts.stop_host(host)


@pytest.fixture
def fresh_deploy_host(
    docker_engine: dockerd.DockerEngine, testbed_session_dir: Path, request: pytest.FixtureRequest
) -> Iterator[deploy_hosts.DeployHost]:
    """A loopback host of the test's own (tests that cut its SSH use it)."""
    directory = testbed_session_dir / "deploy-hosts" / request.node.name[:40]
    try:
        host = deploy_hosts.start_loopback_host(directory, name="fresh")
    except ServiceUnavailable as exc:
        unavailable(exc.service, exc.reason)
    yield host
    deploy_hosts.stop_host(host)


@pytest.fixture(scope="session")
def namespace_hosts(
    docker_engine: dockerd.DockerEngine,
    registry: registry_service.Registry,
    testbed_session_dir: Path,
) -> Iterator[list[deploy_hosts.DeployHost]]:
    """Three hosts, each in its own network namespace (10.200.K.2) with its own sshd on port
    22, dockerd and nginx; the registry is reachable from each at its usual address."""
    hosts: list[deploy_hosts.DeployHost] = []
    tag = str(os.getpid())
    try:
        for number in (1, 2, 3):
            hosts.append(
                deploy_hosts.start_namespace_host(
                    testbed_session_dir / f"ns-host{number}",
                    f"{tag}-{number}",
                    forward_ports=[registry.port],
                    name=f"ns{number}",
                )
            )
    except ServiceUnavailable as exc:
        for host in hosts:
            deploy_hosts.stop_namespace_host(host)
        unavailable(exc.service, exc.reason)
    # One deploy key for every host, as a real fleet has.
    key = hosts[0].ssh.client_key.with_name(hosts[0].ssh.client_key.name + ".pub").read_text()
    for host in hosts[1:]:
        host.ssh.authorized_keys.write_text(host.ssh.authorized_keys.read_text() + key)
    yield hosts
    for host in hosts:
        deploy_hosts.stop_namespace_host(host)
