"""OpenSSH client: one multiplexed connection per host, scripts over stdin, keys checked.

Every host gets an entry in a private ssh_config (0600): its key, the known_hosts file,
``StrictHostKeyChecking=yes``, ``BatchMode``, timeouts and a ControlPath. :meth:`Ssh.connect`
starts the master (``-M -N -f``: authenticate, run nothing); each step is then
``ssh <alias> bash -s`` with the script on stdin through ``runtime.process``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from shipyard.runtime import ExternalError, Runner
from shipyard.runtime.process import ProcessResult, run_process

from .hostkeys import KnownHost, parse_known_hosts
from .plan import Target

SSH_FAILED = 255  # ssh's own exit status when the connection (not the command) failed


def alias(index: int) -> str:
    return f"shipyard-host-{index}"


def config_text(
    targets: Sequence[Target],
    *,
    key: Path,
    known_hosts: Path,
    control_dir: Path,
    timeout: float,
    jump: Target | None = None,
    jump_key: Path | None = None,
) -> str:
    """The ssh_config for this run: one Host block per target (and the jump host)."""
    common = [
        "IdentitiesOnly yes",
        "IdentityAgent none",
        "BatchMode yes",
        "StrictHostKeyChecking yes",
        f"UserKnownHostsFile {known_hosts}",
        "GlobalKnownHostsFile /dev/null",
        "UpdateHostKeys no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "ForwardAgent no",
        "ForwardX11 no",
        "ClearAllForwardings yes",
        f"ConnectTimeout {max(1, int(timeout))}",
        "ServerAliveInterval 5",
        "ServerAliveCountMax 3",
        "LogLevel ERROR",
    ]
    blocks = []
    entries = [(alias(i), t, key) for i, t in enumerate(targets)]
    if jump is not None:
        entries.append(("shipyard-jump", jump, jump_key or key))
    for name, target, identity in entries:
        lines = [
            f"Host {name}",
            f"  HostName {target.host}",
            f"  Port {target.port}",
            f"  User {target.user}",
            f"  IdentityFile {identity}",
            f"  ControlPath {control_dir}/%C",
        ]
        if jump is not None and name != "shipyard-jump":
            lines.append("  ProxyJump shipyard-jump")
        lines += [f"  {line}" for line in common]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def control_dir() -> Path:
    """A short private directory for the control sockets (unix socket paths are short)."""
    return Path(tempfile.mkdtemp(prefix="shipyard-ssh-", dir="/tmp"))


class Ssh:
    """Runs commands on the targets through one ssh_config."""

    def __init__(self, runner: Runner, config: Path, targets: Sequence[Target], timeout: float):
        self.runner = runner
        self.config = config
        self.aliases = {t.name: alias(i) for i, t in enumerate(targets)}
        self.timeout = timeout

    def _argv(self, target: Target, *args: str) -> list[str]:
        return ["ssh", "-F", str(self.config), *args, self.aliases[target.name]]

    def connect(self, target: Target) -> ProcessResult:
        """Start the master connection: host key checked, authenticated, nothing run."""
        argv = self._argv(
            target, "-M", "-N", "-f", "-o", "ControlMaster=yes", "-o", "ControlPersist=yes"
        )
        return run_process(argv, runner=self.runner, timeout=self.timeout + 15, echo=False)

    def run(self, target: Target, script: str, timeout: float, tag: str = "") -> ProcessResult:
        """Run ``script`` with bash on the host (stdin; nothing of it on a command line).
        ``tag`` (not secret) names the remote bash (``bash -s TAG``) so that a cancel can find
        and stop it there: killing the local client alone leaves the remote script running."""
        argv = [
            *self._argv(target, "-o", "ControlMaster=no"),
            "bash",
            "-s",
            *([tag] if tag else []),
        ]
        return run_process(argv, runner=self.runner, stdin=script, timeout=timeout, echo=False)

    def close(self, target: Target) -> None:
        run_process(self._argv(target, "-O", "exit"), runner=self.runner, timeout=15, echo=False)


def keyscan(runner: Runner, target: Target, timeout: float) -> list[KnownHost]:
    """The keys the host offers (``ssh-keyscan``: connects, runs nothing)."""
    argv = ["ssh-keyscan", "-T", str(max(1, int(timeout))), "-p", str(target.port), target.host]
    try:
        result = run_process(
            argv, runner=runner, timeout=timeout + 10, echo=False, separate_stderr=True
        )
    except ExternalError:
        return []
    try:
        return parse_known_hosts(result.stdout, source="ssh-keyscan")
    except Exception:
        return []
