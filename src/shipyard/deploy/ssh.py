"""OpenSSH client: one multiplexed connection per host, scripts over stdin, keys checked.

Every host gets an entry in a private ssh_config (0600): its key, the known_hosts file,
``StrictHostKeyChecking=yes``, ``BatchMode``, timeouts and a ControlPath. :meth:`Ssh.connect`
starts the master (``-M -N -f``: authenticate, run nothing; it exits by itself after
``CONTROL_PERSIST`` seconds without a session, so a run killed before its clean-up leaves no
authenticated socket behind for long); each step is then ``ssh <alias> bash -s`` with the
script on stdin through ``runtime.process``. Every value written into the config is checked
once more where it is rendered (:func:`config_value`), whatever the settings let through.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from shipyard.runtime import ConfigError, ExternalError, Runner
from shipyard.runtime.process import ProcessResult, run_process

from .hostkeys import KnownHost, parse_known_hosts
from .targets import Target

SSH_FAILED = 255  # ssh's own exit status when the connection (not the command) failed
#: Seconds a master connection stays up without a session (``ControlPersist``); a step that
#: finds it gone connects on its own (``ControlMaster no``).
CONTROL_PERSIST = 60
#: What ssh_config reads in an argument: separators, quotes, escapes, comments, ``%`` tokens,
#: ``${VAR}``, lists, ``=``; a leading '-' (an option) or '~' (a home directory) too.
_UNSAFE = re.compile(r"""[\s"'\\#%$,=]|^[-~]""")


def config_value(keyword: str, value: object) -> str:
    """``value`` as one ssh_config argument; ConfigError when ssh could read it otherwise (a
    second option after a newline, a token, a quote...). The settings refuse such values
    already; this is the last check before they are written."""
    text = str(value)
    if (
        not text
        or _UNSAFE.search(text)
        or any(unicodedata.category(char).startswith("C") for char in text)
    ):
        raise ConfigError(
            f"Refusing to write {keyword} {text!r} into the ssh config: ssh would not read "
            "it as one plain value.",
            title="Unsafe ssh_config value",
            hint="Host names, users and ports are checked as inputs; a path here comes from "
            "RUNNER_TEMP, which must then be free of spaces, quotes and '%$#,='.",
        )
    return text


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
        f"UserKnownHostsFile {config_value('UserKnownHostsFile', known_hosts)}",
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
        f"ControlPersist {CONTROL_PERSIST}",
        "LogLevel ERROR",
    ]
    blocks = []
    entries = [(alias(i), t, key) for i, t in enumerate(targets)]
    if jump is not None:
        entries.append(("shipyard-jump", jump, jump_key or key))
    for name, target, identity in entries:
        lines = [
            f"Host {name}",
            f"  HostName {config_value('HostName', target.host)}",
            f"  Port {config_value('Port', int(target.port))}",
            f"  User {config_value('User', target.user)}",
            f"  IdentityFile {config_value('IdentityFile', identity)}",
            f"  ControlPath {config_value('ControlPath', control_dir)}/%C",
        ]
        if jump is not None and name != "shipyard-jump":
            lines.append("  ProxyJump shipyard-jump")
        lines += [f"  {line}" for line in common]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def control_dir() -> Path:
    """A short private directory (0700, made by mkdtemp) for the control sockets (unix socket
    paths are short); the session's clean-up removes it."""
    return Path(tempfile.mkdtemp(prefix="shipyard-ssh-", dir="/tmp"))


class Ssh:
    """Runs commands on the targets through one ssh_config."""

    def __init__(self, runner: Runner, config: Path, targets: Sequence[Target], timeout: float):
        self.runner = runner
        self.config = config
        self.aliases = {t.name: alias(i) for i, t in enumerate(targets)}
        self.timeout = timeout

    def _argv(self, target: Target, *args: str) -> list[str]:
        # `--`: nothing after it is an option (the alias is ours anyway).
        return ["ssh", "-F", str(self.config), *args, "--", self.aliases[target.name]]

    def connect(self, target: Target) -> ProcessResult:
        """Start the master connection: host key checked, authenticated, nothing run; it
        persists CONTROL_PERSIST seconds after its last session (ssh_config)."""
        argv = self._argv(target, "-M", "-N", "-f", "-o", "ControlMaster=yes")
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
    """The keys the host offers (``ssh-keyscan``: connects, runs nothing). The host (a checked
    host name or IP literal) comes after ``--``: never an option."""
    argv = [
        "ssh-keyscan", "-T", str(max(1, int(timeout))), "-p", str(target.port), "--",
        config_value("HostName", target.host),
    ]  # fmt: skip
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
