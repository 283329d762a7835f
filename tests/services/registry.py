"""An OCI registry: ``docker-registry serve`` on 127.0.0.1:<free port>, with htpasswd auth, or
token auth (``auth: token``) against a :class:`tests.services.token_server.TokenServer`.

dockerd treats 127.0.0.0/8 registries as insecure-allowed, so plain HTTP works for push and
pull. Each registry gets a private DOCKER_CONFIG directory, logged in with
``docker login --password-stdin``, so ~/.docker/config.json is never touched; the user's CLI
plugins (``cli-plugins``: buildx when it is installed only there), buildx builders and contexts
are linked into it, as the action does.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.services._common import (
    ServiceUnavailable,
    free_port,
    log_tail,
    output_tail,
    pid_alive,
    pid_runs,
    read_json,
    require_binary,
    run,
    spawn,
    stop_pid,
    wait_until,
    write_json,
)

if TYPE_CHECKING:
    from tests.services.token_server import TokenServer

USERNAME = "shipyard"
#: What a private DOCKER_CONFIG keeps of the user's (as PrivateDockerConfig of the action).
LINKED = ("cli-plugins", "buildx", "contexts")
# bcrypt cost of the htpasswd entry: the registry checks it on every request, so keep it low.
BCRYPT_ROUNDS = 6
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Registry:
    """A running registry and the credentials it accepts."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    htpasswd: Path
    directory: Path
    docker_config: Path  # a DOCKER_CONFIG dir logged in to this registry
    pid: int
    log: Path

    @property
    def address(self) -> str:
        """host:port, the prefix of image references."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def ref(self, repository: str, tag: str = "latest") -> str:
        """An image reference in this registry."""
        return f"{self.address}/{repository}:{tag}"

    def docker_env(self) -> dict[str, str]:
        """os.environ with DOCKER_CONFIG pointing at the logged-in config."""
        return {**os.environ, "DOCKER_CONFIG": str(self.docker_config)}

    def to_json(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "htpasswd": str(self.htpasswd),
            "directory": str(self.directory),
            "docker_config": str(self.docker_config),
            "pid": self.pid,
            "log": str(self.log),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Registry:
        return cls(
            host=str(data["host"]),
            port=int(str(data["port"])),
            username=str(data["username"]),
            password=str(data["password"]),
            htpasswd=Path(str(data["htpasswd"])),
            directory=Path(str(data["directory"])),
            docker_config=Path(str(data["docker_config"])),
            pid=int(str(data["pid"])),
            log=Path(str(data["log"])),
        )


def htpasswd_line(username: str, password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """One htpasswd entry with a bcrypt hash (the only kind docker-registry accepts)."""
    import bcrypt

    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds, prefix=b"2b"))
    return f"{username}:{hashed.decode()}\n"


def user_docker_config(env: dict[str, str] | None = None) -> Path:
    """The docker config directory the user's docker CLI reads (DOCKER_CONFIG or ~/.docker)."""
    env = dict(os.environ) if env is None else env
    if env.get("DOCKER_CONFIG"):
        return Path(env["DOCKER_CONFIG"])
    return Path(env.get("HOME") or str(Path.home())) / ".docker"


def private_docker_config(path: Path, source: Path | None = None) -> Path:
    """Make ``path`` a private DOCKER_CONFIG that still finds the user's CLI plugins, buildx
    builders and contexts (links to those of ``source``, default the user's)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    origin = source or user_docker_config()
    for name in LINKED:
        link = path / name
        if (origin / name).is_dir() and not link.exists() and not link.is_symlink():
            link.symlink_to((origin / name).resolve(), target_is_directory=True)
    return path


def _config(
    directory: Path, port: int, htpasswd: Path, auth: dict[str, object] | None = None
) -> dict[str, object]:
    return {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(directory / "data")},
            "delete": {"enabled": True},
            "cache": {"blobdescriptor": "inmemory"},
        },
        "http": {
            "addr": f"127.0.0.1:{port}",
            "secret": secrets.token_hex(16),
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "auth": auth or {"htpasswd": {"realm": "shipyard-testbed", "path": str(htpasswd)}},
    }


def _answers(port: int) -> bool:
    """True when /v2/ answers with HTTP (401 without credentials)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def docker_login(
    registry: Registry,
    docker: str = "docker",
    password: str | None = None,
    docker_config: Path | None = None,
) -> str:
    """``docker login --password-stdin`` (the right password unless one is given) into
    ``docker_config`` (default registry.docker_config); '' on success, else the error text."""
    config = private_docker_config(docker_config or registry.docker_config)
    result = run(
        [docker, "login", "--username", registry.username, "--password-stdin", registry.address],
        env={**os.environ, "DOCKER_CONFIG": str(config)},
        input_text=registry.password if password is None else password,
        timeout=60,
    )
    return "" if result.returncode == 0 else output_tail(result)


def start(
    directory: Path,
    docker: str = "docker",
    username: str = USERNAME,
    *,
    token_server: TokenServer | None = None,
) -> Registry:
    """Start a registry with a fresh password, storing under ``directory``; log docker in.
    With ``token_server``: token auth, the user (pull and push) added to that server."""
    binary = require_binary("registry", "docker-registry")
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    htpasswd = directory / "htpasswd"
    htpasswd.write_text(htpasswd_line(username, password))
    htpasswd.chmod(0o600)
    auth: dict[str, object] | None = None
    if token_server is not None:
        from tests.services.token_server import User

        token_server.users[username] = User(password)
        auth = token_server.registry_auth(directory / "token-cert.pem")
    log = directory / "registry.log"
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        port = free_port()
        config = directory / "config.yml"
        config.write_text(json.dumps(_config(directory, port, htpasswd, auth), indent=2) + "\n")
        log.write_text("")
        pid = spawn([binary, "serve", str(config)], log)
        wait_until(lambda: not pid_alive(pid) or _answers(port), START_TIMEOUT, 0.1)  # noqa: B023
        if pid_alive(pid) and _answers(port):
            break
        stop_pid(pid)
        last_error = log_tail(log)
    else:
        raise ServiceUnavailable("registry", f"docker-registry did not start; log:\n{last_error}")
    registry = Registry(
        host="127.0.0.1",
        port=port,
        username=username,
        password=password,
        htpasswd=htpasswd,
        directory=directory,
        docker_config=directory / "docker-config",
        pid=pid,
        log=log,
    )
    write_json(directory / "state.json", registry.to_json())
    error = docker_login(registry, docker)
    if error:
        stop_pid(pid)
        raise ServiceUnavailable("registry", f"docker login to {registry.address} failed: {error}")
    return registry


def load(directory: Path) -> Registry | None:
    """The registry whose state is in ``directory`` when it still runs and answers."""
    data = read_json(directory / "state.json")
    if not data:
        return None
    try:
        registry = Registry.from_json(data)
    except (KeyError, ValueError):
        return None
    if pid_runs(registry.pid, str(directory)) and _answers(registry.port):
        return registry
    return None


def stop(registry: Registry) -> bool:
    """Stop the registry process; True when it is gone."""
    return stop_pid(registry.pid)
