"""The example pipelines' sample app: its own tests pass, and its image (on the test bed's Python
base image, both platforms) serves /health and / with the version given at build time."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from tests.services import dockerd
from tests.services.python_image import PythonImage
from tests.services.registry import Registry

SAMPLE_APP = Path(__file__).resolve().parents[1] / "examples" / "sample-app"


def test_the_sample_apps_own_tests_pass() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=SAMPLE_APP,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return int(answer.status), bytes(answer.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_image_serves_its_version_on_both_platforms(
    docker_engine: dockerd.DockerEngine, registry: Registry, python_base_image: PythonImage
) -> None:
    docker = docker_engine.docker
    env = registry.docker_env()
    tag = f"shipyard-sample-app:test-{uuid.uuid4().hex[:8]}"
    for platform in python_base_image.platforms:
        arch = platform.split("/")[1]
        build = subprocess.run(
            [docker, "buildx", "build", "--platform", platform, "--load", "--tag", f"{tag}-{arch}",
             "--build-arg", f"BASE_IMAGE={python_base_image.ref}",
             "--build-arg", "BUILD_VERSION=9.9.9", str(SAMPLE_APP)],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert build.returncode == 0, build.stderr[-3000:]
    name = f"sample-app-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    started = subprocess.run(
        [docker, "run", "-d", "--rm", "--name", name, "--network", "host", "-e", f"PORT={port}",
         f"{tag}-amd64"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        assert _get(f"http://127.0.0.1:{port}/health") == (200, b"ok 9.9.9\n")
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200
        _, body = _get(f"http://127.0.0.1:{port}/")
        assert json.loads(body) == {"app": "sample-app", "version": "9.9.9"}
        arm = subprocess.run(
            [docker, "run", "--rm", "--platform", "linux/arm64", "--entrypoint", "python3",
             f"{tag}-arm64", "-c", "import platform, app; print(platform.machine())"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert arm.stdout.strip() == "aarch64", arm.stderr
    finally:
        subprocess.run([docker, "rm", "-f", name], capture_output=True, timeout=60, check=False)
        subprocess.run(
            [docker, "image", "rm", f"{tag}-amd64", f"{tag}-arm64"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
