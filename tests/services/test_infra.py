"""Proof that each part of the infrastructure test bed is real, not a stand-in."""

from __future__ import annotations

import base64
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.services import base_images, qemu
from tests.services._common import output_tail, run
from tests.services.dockerd import Buildx, DockerEngine
from tests.services.registry import Registry, docker_login
from tests.services.sshd import SshdFactory, SshServer

ARCH_OF = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, output_tail(result)


def _needs_emulation(platform: str, request: pytest.FixtureRequest) -> None:
    """Bring up the qemu_arm64 fixture for a foreign platform only."""
    if platform != "linux/amd64":
        request.getfixturevalue("qemu_arm64")


def test_docker_runs_a_container_from_the_base_image(
    docker_engine: DockerEngine, base_image: base_images.BaseImage
) -> None:
    result = run(
        [
            docker_engine.docker,
            "run",
            "--rm",
            base_image.local_refs["linux/amd64"],
            "sh",
            "-c",
            "echo hello from $(cat /etc/passwd | head -n1 | cut -d: -f1)",
        ],
    )
    _ok(result)
    assert result.stdout.strip() == "hello from root"


def test_qemu_handler_is_registered_with_fix_binary(qemu_arm64: qemu.QemuStatus) -> None:
    assert qemu_arm64.enabled
    assert qemu_arm64.fix_binary, qemu_arm64.flags
    assert qemu.check_arm64_binary() == ""


@pytest.mark.parametrize("platform", ["linux/amd64", "linux/arm64"])
def test_container_reports_its_architecture(
    docker_engine: DockerEngine,
    base_image: base_images.BaseImage,
    platform: str,
    request: pytest.FixtureRequest,
) -> None:
    _needs_emulation(platform, request)
    result = run(
        [
            docker_engine.docker,
            "run",
            "--rm",
            "--pull",
            "always",
            "--platform",
            platform,
            base_image.ref,
            "uname",
            "-m",
        ],
        env=base_image.registry.docker_env(),
    )
    _ok(result)
    assert result.stdout.strip() == ARCH_OF[platform]


@pytest.mark.parametrize("platform", ["linux/amd64", "linux/arm64"])
def test_buildx_builds_a_dockerfile_with_a_run_step(
    buildx: Buildx,
    base_image: base_images.BaseImage,
    platform: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    _needs_emulation(platform, request)
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base_image.ref}\nRUN uname -m > /built-on && echo built >> /built-on\n"
    )
    tag = f"shipyard-testbed/run-step:{platform.split('/')[1]}-{uuid.uuid4().hex[:8]}"
    env = base_image.registry.docker_env()
    build = run(
        [
            buildx.docker,
            "buildx",
            "build",
            "--no-cache",
            "--platform",
            platform,
            "--provenance=false",
            "--load",
            "--tag",
            tag,
            str(tmp_path),
        ],
        env=env,
        timeout=300,
    )
    _ok(build)
    try:
        result = run(
            [buildx.docker, "run", "--rm", "--platform", platform, tag, "cat", "/built-on"]
        )
        _ok(result)
        assert result.stdout.split() == [ARCH_OF[platform], "built"]
    finally:
        run([buildx.docker, "image", "rm", tag])


def _get_v2(registry: Registry, password: str | None) -> int:
    request = urllib.request.Request(f"{registry.url}/v2/")
    if password is not None:
        token = base64.b64encode(f"{registry.username}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_registry_requires_the_right_password(
    docker_engine: DockerEngine, registry: Registry, tmp_path: Path
) -> None:
    assert registry.htpasswd.read_text().startswith(f"{registry.username}:$2")
    assert _get_v2(registry, None) == 401
    assert _get_v2(registry, "wrong-password") == 401
    assert _get_v2(registry, registry.password) == 200
    refused = docker_login(
        registry, docker_engine.docker, password="wrong-password", docker_config=tmp_path / "bad"
    )
    assert refused, "docker login with a wrong password was accepted"
    assert "401" in refused or "unauthorized" in refused.lower(), refused
    assert docker_login(registry, docker_engine.docker, docker_config=tmp_path / "good") == ""


def test_registry_push_pull_round_trip(
    docker_engine: DockerEngine,
    registry: Registry,
    base_image: base_images.BaseImage,
    tmp_path: Path,
) -> None:
    docker = docker_engine.docker
    source = base_image.local_refs["linux/amd64"]
    ref = registry.ref("testbed/round-trip", uuid.uuid4().hex[:12])
    env = registry.docker_env()
    _ok(run([docker, "tag", source, ref]))
    _ok(run([docker, "push", ref], env=env))
    _ok(run([docker, "image", "rm", ref]))
    anonymous = {**os.environ, "DOCKER_CONFIG": str(tmp_path / "anonymous")}
    refused = run([docker, "pull", ref], env=anonymous)
    assert refused.returncode != 0, "pull without credentials was accepted"
    _ok(run([docker, "pull", ref], env=env))
    try:
        ids = run([docker, "image", "inspect", "--format", "{{.Id}}", source, ref])
        _ok(ids)
        original, pulled = ids.stdout.split()
        assert original == pulled
    finally:
        run([docker, "image", "rm", ref])


def test_multi_arch_index_lists_both_platforms(base_image: base_images.BaseImage) -> None:
    platforms = base_images.inspect_platforms(base_image.ref, base_image.registry.docker_env())
    assert sorted(platforms) == ["linux/amd64", "linux/arm64"]


def test_ssh_login_with_host_key_verification(
    sshd_host: SshServer, docker_engine: DockerEngine
) -> None:
    assert sshd_host.known_hosts.read_text().startswith(
        f"[127.0.0.1]:{sshd_host.port} ssh-ed25519 "
    )
    result = run(
        sshd_host.ssh_command(["sh", "-c", "echo $USER; docker info --format '{{.ServerVersion}}'"])
    )
    _ok(result)
    assert result.stdout.split() == [sshd_host.user, docker_engine.server_version]


def test_ssh_refuses_a_wrong_host_key(sshd_host: SshServer, tmp_path: Path) -> None:
    impostor = tmp_path / "impostor"
    _ok(run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(impostor)]))
    wrong = tmp_path / "known_hosts"
    key = " ".join(impostor.with_suffix(".pub").read_text().split()[:2])
    wrong.write_text(f"[127.0.0.1]:{sshd_host.port} {key}\n")
    result = run(sshd_host.ssh_command(["true"], known_hosts=wrong))
    assert result.returncode == 255
    assert "host key" in result.stderr.lower(), result.stderr


def test_sshd_factory_gives_separate_servers(
    sshd_factory: SshdFactory, sshd_host: SshServer
) -> None:
    other = sshd_factory.start("other", environment={"SHIPYARD_HOST_NAME": "other"})
    assert other.port != sshd_host.port
    assert other.host_public_key != sshd_host.host_public_key
    result = run(other.ssh_command(["sh", "-c", "echo $SHIPYARD_HOST_NAME"]))
    _ok(result)
    assert result.stdout.strip() == "other"
    # The first server's key does not open the second one's host-key check.
    crossed = run(other.ssh_command(["true"], known_hosts=sshd_host.known_hosts))
    assert crossed.returncode == 255
