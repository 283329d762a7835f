"""OpenSSH servers on 127.0.0.1:<free port>, each with its own host key and authorized keys.

Several servers are several ports. Each server comes with a client key pair and a known_hosts
file holding its host key in ``[127.0.0.1]:port`` form, so clients can run with
``StrictHostKeyChecking=yes``.
"""

from __future__ import annotations

import getpass
import shlex
import shutil
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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

START_TIMEOUT = 15.0


@dataclass(frozen=True)
class SshServer:
    """A running sshd and everything a client needs to log in with host-key checking."""

    name: str
    host: str
    port: int
    user: str
    client_key: Path  # private key (the .pub beside it is in authorized_keys)
    known_hosts: Path  # a file holding known_hosts_line
    known_hosts_line: str  # "[127.0.0.1]:<port> ssh-ed25519 AAAA..."
    host_public_key: str  # "ssh-ed25519 AAAA..."
    authorized_keys: Path
    directory: Path
    pid: int
    log: Path
    environment: Mapping[str, str] = field(default_factory=dict)  # set for every session

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}"

    def ssh_options(self, known_hosts: Path | None = None) -> list[str]:
        """ssh client options: this key only, strict host-key checking, no prompts."""
        options = {
            "IdentitiesOnly": "yes",
            "BatchMode": "yes",
            "StrictHostKeyChecking": "yes",
            "UserKnownHostsFile": str(known_hosts or self.known_hosts),
            "GlobalKnownHostsFile": "/dev/null",
            "ConnectTimeout": "10",
            "LogLevel": "ERROR",
        }
        argv = ["-i", str(self.client_key), "-p", str(self.port)]
        for key, value in options.items():
            argv += ["-o", f"{key}={value}"]
        return argv

    def ssh_command(self, command: Sequence[str], known_hosts: Path | None = None) -> list[str]:
        """argv of ``ssh`` running ``command`` (an argv, quoted for the remote shell) here."""
        remote = shlex.join(command)
        return ["ssh", *self.ssh_options(known_hosts), self.destination, "--", remote]

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "client_key": str(self.client_key),
            "known_hosts": str(self.known_hosts),
            "known_hosts_line": self.known_hosts_line,
            "host_public_key": self.host_public_key,
            "authorized_keys": str(self.authorized_keys),
            "directory": str(self.directory),
            "pid": self.pid,
            "log": str(self.log),
            "environment": dict(self.environment),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SshServer:
        environment = data.get("environment") or {}
        assert isinstance(environment, dict)
        return cls(
            name=str(data["name"]),
            host=str(data["host"]),
            port=int(str(data["port"])),
            user=str(data["user"]),
            client_key=Path(str(data["client_key"])),
            known_hosts=Path(str(data["known_hosts"])),
            known_hosts_line=str(data["known_hosts_line"]),
            host_public_key=str(data["host_public_key"]),
            authorized_keys=Path(str(data["authorized_keys"])),
            directory=Path(str(data["directory"])),
            pid=int(str(data["pid"])),
            log=Path(str(data["log"])),
            environment={str(k): str(v) for k, v in environment.items()},
        )


def _keygen(path: Path, comment: str) -> str:
    """Make an ed25519 key pair at ``path`` (kept if present); return the public key."""
    if not path.exists():
        keygen = require_binary("sshd", "ssh-keygen")
        result = run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
        if result.returncode != 0:
            raise ServiceUnavailable("sshd", f"ssh-keygen failed: {output_tail(result)}")
    public = path.with_name(path.name + ".pub").read_text().split()
    return " ".join(public[:2])


def _banner(port: int, host: str = "127.0.0.1") -> bool:
    """True when an SSH server greets on the port."""
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.settimeout(2)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _config(
    directory: Path,
    port: int,
    user: str,
    environment: Mapping[str, str],
    listen: str = "127.0.0.1",
    log_level: str = "VERBOSE",
) -> str:
    lines = [
        f"Port {port}",
        f"ListenAddress {listen}",
        f"HostKey {directory / 'ssh_host_ed25519_key'}",
        f"PidFile {directory / 'sshd.pid'}",
        f"AuthorizedKeysFile {directory / 'authorized_keys'}",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        # Our files live in world-writable trees such as /tmp: do not insist on home-dir modes.
        "StrictModes no",
        "UsePAM no",
        f"AllowUsers {user}",
        "PrintMotd no",
        f"LogLevel {log_level}",
        "MaxStartups 100:30:200",
        "Subsystem sftp internal-sftp",
    ]
    if environment:
        lines.append("SetEnv " + " ".join(f"{k}={v}" for k, v in environment.items()))
    return "\n".join(lines) + "\n"


def start(
    directory: Path,
    name: str = "sshd",
    environment: Mapping[str, str] | None = None,
    *,
    listen: str = "127.0.0.1",
    port: int | None = None,
    prefix: Sequence[str] = (),
    log_level: str = "VERBOSE",
) -> SshServer:
    """Start one sshd with state under ``directory`` and check a real login through it.

    ``environment`` is set in every session (sshd_config SetEnv), e.g. a DOCKER_HOST or HOME.
    ``listen``/``port`` choose the address (default 127.0.0.1 and a free port); ``prefix``
    runs sshd under a command such as ``ip netns exec <ns>`` (a host in a network namespace).
    """
    binary = require_binary("sshd", "sshd")
    require_binary("sshd", "ssh")
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    env = dict(environment or {})
    host_key = _keygen(directory / "ssh_host_ed25519_key", f"shipyard-testbed-{name}-host")
    client_pub = _keygen(directory / "id_ed25519", f"shipyard-testbed-{name}-client")
    authorized = directory / "authorized_keys"
    authorized.write_text(client_pub + "\n")
    authorized.chmod(0o600)
    user = getpass.getuser()
    log = directory / "sshd.log"
    config = directory / "sshd_config"
    last_error = ""
    fixed_port = port
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        port = fixed_port or free_port()
        config.write_text(_config(directory, port, user, env, listen, log_level))
        check = run([binary, "-t", "-f", str(config)])
        if check.returncode != 0:
            raise ServiceUnavailable("sshd", f"sshd -t rejected the config: {output_tail(check)}")
        log.write_text("")
        # Debug levels go to the log file: with -e sshd would send them to the client too.
        logging = ["-e"] if log_level in ("INFO", "VERBOSE") else ["-E", str(log)]
        pid = spawn([*prefix, binary, "-D", *logging, "-f", str(config)], log)
        wait_until(
            lambda: not pid_alive(pid) or _banner(port, listen),  # noqa: B023
            START_TIMEOUT,
        )
        if pid_alive(pid) and _banner(port, listen):
            break
        stop_pid(pid)
        last_error = log_tail(log)
    else:
        raise ServiceUnavailable("sshd", f"sshd did not start; log:\n{last_error}")
    known_hosts = directory / "known_hosts"
    line = f"{listen if port == 22 else f'[{listen}]:{port}'} {host_key}"
    known_hosts.write_text(line + "\n")
    server = SshServer(
        name=name,
        host=listen,
        port=port,
        user=user,
        client_key=directory / "id_ed25519",
        known_hosts=known_hosts,
        known_hosts_line=line,
        host_public_key=host_key,
        authorized_keys=authorized,
        directory=directory,
        pid=pid,
        log=log,
        environment=env,
    )
    login = run(server.ssh_command(["echo", "shipyard-ok"]), timeout=30)
    if login.returncode != 0 or "shipyard-ok" not in login.stdout:
        stop_pid(pid)
        raise ServiceUnavailable(
            "sshd",
            f"ssh login to port {port} failed: {output_tail(login)}\nsshd log:\n{log_tail(log)}",
        )
    write_json(directory / "state.json", server.to_json())
    return server


def load(directory: Path) -> SshServer | None:
    """The server whose state is in ``directory`` when it still runs."""
    data = read_json(directory / "state.json")
    if not data:
        return None
    try:
        server = SshServer.from_json(data)
    except (KeyError, ValueError, AssertionError):
        return None
    alive = pid_runs(server.pid, str(directory)) and _banner(server.port, server.host)
    return server if alive else None


def stop(server: SshServer) -> bool:
    """Stop the server (sessions it forked end with it)."""
    return stop_pid(server.pid)


class SshdFactory:
    """Starts as many SSH servers as asked, each in its own directory; stops them all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.servers: list[SshServer] = []

    def start(
        self, name: str | None = None, environment: Mapping[str, str] | None = None
    ) -> SshServer:
        """Start a new server (names must be unique within the factory)."""
        name = name or f"sshd{len(self.servers) + 1}"
        target = self.directory / name
        if target.exists():
            shutil.rmtree(target)
        server = start(target, name=name, environment=environment)
        self.servers.append(server)
        return server

    __call__ = start

    def stop_all(self) -> None:
        for server in self.servers:
            stop(server)
        self.servers.clear()
