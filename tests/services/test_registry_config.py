"""The test bed's private DOCKER_CONFIG keeps the user's CLI plugins (buildx installed only in
~/.docker/cli-plugins, Docker's documented manual install, must keep working)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.services._require import unavailable
from tests.services.registry import Registry, private_docker_config

PLUGIN = """#!/bin/sh
if [ "$1" = "docker-cli-plugin-metadata" ]; then
  echo '{"SchemaVersion":"0.1.0","Vendor":"shipyard","Version":"1.0","ShortDescription":"probe"}'
  exit 0
fi
echo "probe plugin ran: $2"
"""


def test_a_private_docker_config_finds_the_users_cli_plugins(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        unavailable("docker", "the docker CLI is not installed (bash tests/services/install.sh)")
    user = tmp_path / "home" / ".docker"
    (user / "cli-plugins").mkdir(parents=True)
    plugin = user / "cli-plugins" / "docker-shipyardprobe"
    plugin.write_text(PLUGIN)
    plugin.chmod(0o755)
    private = private_docker_config(tmp_path / "private", source=user)
    assert (private / "cli-plugins").is_symlink()
    done = subprocess.run(
        [docker, "shipyardprobe", "hello"],
        env={**os.environ, "DOCKER_CONFIG": str(private), "HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "probe plugin ran: hello" in done.stdout
    # idempotent: a second call keeps the link
    assert private_docker_config(private, source=user) == private


def test_the_registrys_docker_config_links_the_users_plugins(registry: Registry) -> None:
    user = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    if not (user / "cli-plugins").is_dir():
        unavailable(
            "docker cli-plugins", "no ~/.docker/cli-plugins (bash tests/services/install.sh)"
        )
    link = registry.docker_config / "cli-plugins"
    assert link.is_symlink() and link.resolve() == (user / "cli-plugins").resolve()
    done = subprocess.run(
        ["docker", "buildx", "version"],
        env=registry.docker_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
