"""Private builds against the real engine: a build secret (``secrets``) and an SSH key
(``ssh`` + ``ssh-key``) reach the RUN steps that mount them, and the value of neither lands in
the image, its history, the exported cache, the build record, the log or a command line.

The private dependency is a real OpenSSH server of the test bed on the docker bridge's address
(a build's RUN step reaches it there), serving a file only the key may read; the image gets an
ssh client copied from this machine (busybox has none). The secret is a random value, so the
greps below can only pass if it is really absent.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.build_push.job import Job
from shipyard.runtime import ExitCode, FakeClock
from tests.build_push._private import PrivateServer, start_private_server
from tests.build_push._run import run_build_push
from tests.build_push.conftest import write_app
from tests.services import sshd
from tests.services._common import ServiceUnavailable
from tests.services.base_images import BaseImage
from tests.services.dockerd import DockerEngine
from tests.services.registry import Registry

pytestmark = pytest.mark.usefixtures("buildx")

#: Records every docker command the action runs (its arguments and the names of its
#: environment variables, never their values) and keeps each build's metadata file.
DOCKER_WRAPPER = """\
#!/bin/sh
record="$RECORD_DIR/$(date +%s%N)-$$"
{ printf '%s\\n' "$*"; env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'; } > "$record"
metadata=""; previous=""
for arg in "$@"; do
  [ "$previous" = "--metadata-file" ] && metadata="$arg"
  previous="$arg"
done
"$REAL_DOCKER" "$@"; code=$?
[ -n "$metadata" ] && [ -f "$metadata" ] && cp "$metadata" "$record.metadata.json"
exit $code
"""


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Job, "clock", FakeClock())


@pytest.fixture
def private_server(tmp_path: Path, docker_engine: DockerEngine) -> Iterator[PrivateServer]:
    """A private "git server": the test bed's sshd, reachable from RUN steps."""
    marker = "private-dependency-" + secrets.token_hex(8)
    try:
        private = start_private_server(tmp_path / "private-git", docker_engine.docker, marker)
    except ServiceUnavailable as exc:
        pytest.fail(f"the test bed's sshd: {exc.reason}")
    yield private
    sshd.stop(private.server)


def key_lines(key: str) -> list[str]:
    """The base64 body of a private key, line by line (what a leak would show)."""
    return [line for line in key.splitlines() if line and not line.startswith("-----")]


def leaks(data: bytes, value: str, key: str) -> list[str]:
    found = [value] if value.encode() in data else []
    return found + [line for line in key_lines(key) if line.encode() in data]


def blob_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def docker(engine: DockerEngine, registry: Registry, *args: str) -> bytes:
    done = subprocess.run(
        [engine.docker, *args], env=registry.docker_env(), capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


def test_secret_and_ssh_key_reach_the_build_and_land_nowhere(
    tmp_path: Path,
    base_image: BaseImage,
    docker_engine: DockerEngine,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
    private_server: PrivateServer,
) -> None:
    value = "shipyard-canary-" + secrets.token_hex(24)
    key = private_server.key
    dockerfile = private_server.dockerfile(base_image.ref)
    app = write_app(tmp_path / "workspace", base_image.ref, dockerfile)
    for name, content in private_server.context_files().items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_bytes(content)
    records = tmp_path / "records"
    records.mkdir()
    wrapper = tmp_path / "docker-wrapper"
    wrapper.write_text(DOCKER_WRAPPER)
    wrapper.chmod(0o755)
    image = f"{registry.address}/{repository}"

    run = run_build_push(
        tmp_path / "run",
        app,
        {
            "images": image,
            "secrets": "npm=NPM_TOKEN",
            "ssh": "default",
            "ssh-key": key,
            "cache": "inline",
            **registry_inputs,
        },
        env={
            "NPM_TOKEN": value,
            "GITHUB_TOKEN": "ghs_" + secrets.token_hex(8),
            "SHIPYARD_DOCKER": str(wrapper),
            "REAL_DOCKER": docker_engine.docker,
            "RECORD_DIR": str(records),
        },
    )
    assert run.code == 0, run.log[-4000:] + run.summary
    ref = f"{image}:latest"

    # The build had both: the secret's hash, the agent's key and the private server's file.
    docker(docker_engine, registry, "pull", "-q", ref)
    shown = docker(
        docker_engine,
        registry,
        "run",
        "--rm",
        ref,
        "cat",
        "/secret.sha256",
        "/agent-keys",
        "/from-private-server",
    ).decode()
    assert hashlib.sha256(value.encode()).hexdigest() in shown
    assert "shipyard-testbed-private-git-client" in shown and private_server.marker in shown

    # Neither value is in the image, its history or its configuration ...
    for args in (("history", "--no-trunc", ref), ("image", "inspect", ref), ("save", ref)):
        assert leaks(docker(docker_engine, registry, *args), value, key) == [], args
    # ... nor in any blob of the registry: layers, configs, and the exported (inline) cache.
    blobs = [blob_bytes(path) for path in (registry.directory / "data").rglob("blobs/*/*/*/data")]
    assert any(b"moby.buildkit.cache.v0" in data for data in blobs), "no cache was exported"
    assert [found for data in blobs if (found := leaks(data, value, key))] == []
    # ... nor in the build record (buildx's metadata file) or the engine's BuildKit state.
    kept = list(records.glob("*.metadata.json"))
    assert kept and all(leaks(path.read_bytes(), value, key) == [] for path in kept)
    root = docker(docker_engine, registry, "info", "--format", "{{.DockerRootDir}}").decode()
    state = [p for p in (Path(root.strip()) / "buildkit").rglob("*") if p.is_file()]
    assert state and [p for p in state if leaks(p.read_bytes(), value, key)] == []
    # ... nor in what the run printed or output (both are masked in the log).
    assert f"::add-mask::{value}" in run.log
    assert leaks(run.visible.encode(), value, key) == []

    commands = [path.read_text().splitlines() for path in sorted(records.glob("*[0-9]"))]
    assert all(leaks(lines[0].encode(), value, key) == [] for lines in commands)
    builds = [lines for lines in commands if lines[0].startswith("buildx build")]
    others = [lines for lines in commands if not lines[0].startswith("buildx build")]
    assert len(builds) == 1 and others
    assert "--secret id=npm,env=NPM_TOKEN" in builds[0][0]
    assert "NPM_TOKEN" in builds[0][1:]
    assert all("NPM_TOKEN" not in lines[1:] for lines in others)
    assert all("GITHUB_TOKEN" not in lines[1:] for lines in commands)

    # The private agent was stopped and its socket removed.
    socket = builds[0][0].split("--ssh default=", 1)[1].split()[0]
    assert not Path(socket).parent.exists()
    running = subprocess.run(["pgrep", "-f", socket], capture_output=True, text=True)
    assert running.stdout == ""
    assert json.loads(run.outputs["metadata"])["secrets"] == ["npm"]


def test_a_dockerfile_that_needs_a_secret_it_was_not_given_is_exit_2(
    tmp_path: Path,
    base_image: BaseImage,
    registry: Registry,
    repository: str,
    registry_inputs: dict[str, str],
) -> None:
    app = write_app(
        tmp_path / "workspace",
        base_image.ref,
        "FROM {base}\nRUN --mount=type=secret,id=npm,required=true cat /run/secrets/npm\n",
    )
    inputs = {"images": f"{registry.address}/{repository}", "push": "false", **registry_inputs}
    run = run_build_push(tmp_path / "run", app, inputs)
    assert run.code == ExitCode.BAD_INPUT, run.log[-3000:]
    (error,) = run.annotations("error")
    assert "The Dockerfile needs a build secret" in error and "'npm'" in error
    assert "npm=ENV_NAME" in run.summary
