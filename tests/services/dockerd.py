"""The Docker engine of the test bed: one dockerd on the default socket, left running.

The docker CLI (``/usr/local/bin/docker`` 28 or ``/usr/bin/docker`` 20.10) then works with no
DOCKER_HOST. A dockerd that already answers is reused, whoever started it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.services._common import (
    ServiceUnavailable,
    file_lock,
    log_tail,
    output_tail,
    pid_alive,
    pid_runs,
    read_json,
    require_binary,
    run,
    spawn,
    state_dir,
    stop_pid,
    wait_until,
    write_json,
)

SOCKET = Path("/var/run/docker.sock")
DOCKER_HOST = f"unix://{SOCKET}"
LOCK = Path("/var/lock/shipyard-testbed-dockerd.lock")
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class DockerEngine:
    """A running Docker engine."""

    host: str  # DOCKER_HOST form, unix:///var/run/docker.sock
    socket: Path
    server_version: str
    storage_driver: str
    docker: str  # path of the docker CLI used
    pid: int | None  # dockerd's pid when the test bed started it
    log: Path | None  # its log file when the test bed started it


def _dir() -> Path:
    return state_dir() / "dockerd"


def _info(docker: str) -> tuple[str, str] | None:
    """(server version, storage driver) when the daemon on the default socket answers."""
    env = {k: v for k, v in os.environ.items() if k not in {"DOCKER_HOST", "DOCKER_CONTEXT"}}
    result = run(
        [docker, "-H", DOCKER_HOST, "info", "--format", "{{.ServerVersion}} {{.Driver}}"],
        env=env,
        timeout=15,
    )
    if result.returncode != 0:
        return None
    version, _, driver = result.stdout.strip().partition(" ")
    return (version, driver) if version else None


def docker_cli() -> str:
    """The docker CLI to use (the first on PATH)."""
    return require_binary("docker", "docker")


def status() -> DockerEngine | None:
    """The engine on the default socket, or None when none answers."""
    try:
        docker = docker_cli()
    except ServiceUnavailable:
        return None
    info = _info(docker)
    if info is None:
        return None
    state = read_json(_dir() / "state.json") or {}
    pid = state.get("pid") if pid_runs(state.get("pid"), "dockerd") else None
    log = Path(state["log"]) if pid and state.get("log") else None
    return DockerEngine(DOCKER_HOST, SOCKET, info[0], info[1], docker, pid, log)


def ensure() -> DockerEngine:
    """Reuse the dockerd on the default socket or start one; raise ServiceUnavailable."""
    docker = docker_cli()
    with file_lock(LOCK):
        engine = status()
        if engine is not None:
            return engine
        dockerd = require_binary("docker", "dockerd")
        directory = _dir()
        directory.mkdir(parents=True, exist_ok=True)
        log = directory / "dockerd.log"
        log.write_text("")
        stale_pid = Path("/var/run/docker.pid")
        if stale_pid.exists():
            try:
                old = int(stale_pid.read_text().strip() or 0)
            except ValueError:
                old = 0
            if not pid_alive(old):
                stale_pid.unlink()
        pid = spawn([dockerd, "--host", DOCKER_HOST], log)
        write_json(directory / "state.json", {"pid": pid, "log": str(log)})
        if not wait_until(
            lambda: not pid_alive(pid) or _info(docker) is not None, START_TIMEOUT, 0.5
        ):
            stop_pid(pid)
            raise ServiceUnavailable(
                "docker",
                f"dockerd did not answer within {START_TIMEOUT:.0f}s; log:\n{log_tail(log)}",
            )
        if not pid_alive(pid):
            raise ServiceUnavailable("docker", f"dockerd exited; log:\n{log_tail(log)}")
    engine = status()
    if engine is None:
        raise ServiceUnavailable("docker", f"dockerd stopped answering; log:\n{log_tail(log)}")
    return engine


def stop() -> str:
    """Stop the dockerd the test bed started (a dockerd started otherwise is left alone)."""
    state = read_json(_dir() / "state.json") or {}
    pid = state.get("pid")
    if not pid_runs(pid, "dockerd"):
        return "not started by the test bed"
    return "stopped" if stop_pid(pid, timeout=30) else f"pid {pid} did not stop"


@dataclass(frozen=True)
class Buildx:
    """The buildx CLI plugin, usable as ``docker buildx``."""

    version: str
    docker: str
    driver: str


def ensure_buildx(engine: DockerEngine) -> Buildx:
    """Check that ``docker buildx`` works against the engine; raise ServiceUnavailable."""
    version = run([engine.docker, "buildx", "version"], timeout=30)
    if version.returncode != 0:
        raise ServiceUnavailable(
            "buildx",
            "`docker buildx` is missing (install.sh puts the plugin in ~/.docker/cli-plugins "
            f"and /usr/libexec/docker/cli-plugins): {output_tail(version, 3)}",
        )
    inspect = run([engine.docker, "buildx", "inspect"], timeout=30)
    if inspect.returncode != 0:
        raise ServiceUnavailable(
            "buildx", f"`docker buildx inspect` failed: {output_tail(inspect)}"
        )
    driver = next(
        (
            line.split(":", 1)[1].strip()
            for line in inspect.stdout.splitlines()
            if line.startswith("Driver:")
        ),
        "unknown",
    )
    return Buildx(version.stdout.strip(), engine.docker, driver)
