"""pytest fixtures for the infrastructure test bed, each started once per session.

Fixtures start services; they never install anything (``tests/services/install.sh`` does).
When a service cannot run, the test fails under CI=true and is skipped elsewhere, with the
reason. dockerd is shared and left running; registries and SSH servers belong to the session
and live under ``<state dir>/pytest-<pid>/`` until it ends.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import base_images, dockerd, qemu, sshd
from tests.services import registry as registry_service
from tests.services._common import (
    ServiceUnavailable,
    pid_alive,
    pid_runs,
    read_json,
    run,
    state_dir,
    stop_pid,
)
from tests.services._require import unavailable
from tests.services.token_server import TokenServer


def _reap_stale_sessions(root: Path) -> None:
    """Stop services and remove directories left by test sessions that died."""
    for directory in root.glob("pytest-*"):
        try:
            owner = int(directory.name.removeprefix("pytest-"))
        except ValueError:
            continue
        if pid_alive(owner):
            continue
        for state in directory.rglob("state.json"):
            data = read_json(state) or {}
            pid = data.get("pid")
            if isinstance(pid, int) and pid_runs(pid, str(state.parent)):
                stop_pid(pid)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def testbed_session_dir() -> Iterator[Path]:
    """This session's directory for service state (removed at the end unless
    SHIPYARD_TESTBED_KEEP=1)."""
    root = state_dir()
    _reap_stale_sessions(root)
    directory = root / f"pytest-{os.getpid()}"
    directory.mkdir(parents=True, exist_ok=True)
    yield directory
    if not os.environ.get("SHIPYARD_TESTBED_KEEP"):
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def docker_engine() -> dockerd.DockerEngine:
    """A Docker engine on /var/run/docker.sock (reused if one answers, else started and
    left running). Attributes: host, socket, server_version, storage_driver, docker, pid, log."""
    try:
        return dockerd.ensure()
    except ServiceUnavailable as exc:
        unavailable("docker", exc.reason)


@pytest.fixture(scope="session")
def buildx(docker_engine: dockerd.DockerEngine) -> dockerd.Buildx:
    """``docker buildx`` against the engine (docker driver: one platform per build).
    Attributes: version, docker, driver."""
    try:
        return dockerd.ensure_buildx(docker_engine)
    except ServiceUnavailable as exc:
        unavailable("buildx", exc.reason)


@pytest.fixture(scope="session")
def qemu_arm64() -> qemu.QemuStatus:
    """The aarch64 binfmt handler, registered and enabled. Attributes: enabled, interpreter,
    flags, fix_binary."""
    try:
        status = qemu.ensure()
    except ServiceUnavailable as exc:
        unavailable("qemu", exc.reason)
    problem = qemu.check_arm64_binary()
    if problem:
        unavailable("qemu", problem)
    return status


@pytest.fixture(scope="session")
def registry(
    docker_engine: dockerd.DockerEngine, testbed_session_dir: Path
) -> Iterator[registry_service.Registry]:
    """A registry with htpasswd auth on 127.0.0.1:<port>, docker logged in to it in a private
    DOCKER_CONFIG. Attributes: host, port, address, url, username, password, htpasswd,
    docker_config, ref(repo, tag), docker_env()."""
    try:
        running = registry_service.start(testbed_session_dir / "registry", docker_engine.docker)
    except ServiceUnavailable as exc:
        unavailable("registry", exc.reason)
    yield running
    registry_service.stop(running)


@pytest.fixture(scope="session")
def token_server() -> Iterator[TokenServer]:
    """A token server (JWTs signed with its own key) for token-auth registries, in a thread of
    this process. Attributes: realm, users, lifetime, issued, refused, requests."""
    server = TokenServer({}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(
    docker_engine: dockerd.DockerEngine, testbed_session_dir: Path, token_server: TokenServer
) -> Iterator[registry_service.Registry]:
    """A registry with token auth (``auth: token``: 401 with a Bearer challenge naming
    ``token_server``), docker logged in to it in a private DOCKER_CONFIG."""
    try:
        running = registry_service.start(
            testbed_session_dir / "token-registry",
            docker_engine.docker,
            token_server=token_server,
        )
    except ServiceUnavailable as exc:
        unavailable("registry", exc.reason)
    yield running
    registry_service.stop(running)


@pytest.fixture(scope="session")
def sshd_factory(testbed_session_dir: Path) -> Iterator[sshd.SshdFactory]:
    """Call ``sshd_factory(name=None, environment=None)`` for a new SshServer on its own port;
    all are stopped at the end of the session."""
    factory = sshd.SshdFactory(testbed_session_dir / "sshd")
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def sshd_host(sshd_factory: sshd.SshdFactory) -> sshd.SshServer:
    """One SSH server. Attributes: host, port, user, destination, client_key, known_hosts,
    known_hosts_line, host_public_key, ssh_options(), ssh_command(argv)."""
    try:
        return sshd_factory.start("host")
    except ServiceUnavailable as exc:
        unavailable("sshd", exc.reason)


@pytest.fixture(scope="session")
def base_image(
    docker_engine: dockerd.DockerEngine,
    buildx: dockerd.Buildx,
    registry: registry_service.Registry,
    testbed_session_dir: Path,
) -> Iterator[base_images.BaseImage]:
    """The busybox base image pushed as one linux/amd64 + linux/arm64 tag to ``registry``.
    Attributes: ref, platform_refs, local_refs, platforms, registry, context."""
    try:
        image = base_images.build_and_push(
            registry, testbed_session_dir / "base-images", docker_engine.docker
        )
    except ServiceUnavailable as exc:
        unavailable("base-images", exc.reason)
    yield image
    # Untag this session's registry references (the local shipyard-testbed/busybox tags stay).
    refs = [*image.platform_refs.values(), image.ref]
    run([docker_engine.docker, "image", "rm", *refs], timeout=60)
