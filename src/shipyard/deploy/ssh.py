"""OpenSSH client, the deploy's transport: one multiplexed connection per host, scripts over
stdin, keys checked.

:func:`open_ssh` writes the key, the known_hosts file (``known-hosts``, or the keys the hosts
offer whose fingerprints ``host-fingerprints`` pins) and the ssh_config as private files.
Every host gets an entry in that ssh_config (0600): its key, the known_hosts file,
``StrictHostKeyChecking=yes``, ``BatchMode``, timeouts and a ControlPath.
:meth:`SshTransport.connect` starts the master (``-M -N -f``: authenticate, run nothing; it
exits by itself after ``CONTROL_PERSIST`` seconds without a session, so a run killed before
its clean-up leaves no authenticated socket behind for long); each step is then
``ssh <alias> bash -s`` with the script on stdin through ``runtime.process``. Every value
written into the config is checked once more where it is rendered (:func:`config_value`),
whatever the settings let through.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shipyard.runtime import Cleanup, ConfigError, ExternalError, Runner, ShipyardError
from shipyard.runtime.process import ProcessResult, run_process

from . import hostkeys
from .hostkeys import KnownHost, parse_known_hosts
from .spec import Settings
from .steps import Reply
from .targets import Target, parse_target
from .transport import CONNECTION_FAILED, Script

SSH_FAILED = CONNECTION_FAILED  # ssh's own exit status when the connection failed
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
    """The ssh_config ``Host`` of the ``index``-th target."""
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


class SshTransport:
    """Runs steps on the targets through one ssh_config (a :class:`~.transport.Transport`)."""

    def __init__(
        self,
        runner: Runner,
        config: Path,
        targets: Sequence[Target],
        timeout: float,
        known_hosts: str = "",
    ):
        self.runner = runner
        self.config = config
        self.targets = list(targets)
        self.aliases = {t.name: alias(i) for i, t in enumerate(targets)}
        self.timeout = timeout
        self.known_hosts = known_hosts  # the known-hosts input, to explain a refused key

    def _argv(self, target: Target, *args: str) -> list[str]:
        # `--`: nothing after it is an option (the alias is ours anyway).
        return ["ssh", "-F", str(self.config), *args, "--", self.aliases[target.name]]

    def connect(self, target: Target) -> ProcessResult:
        """Start the master connection: host key checked, authenticated, nothing run; it
        persists CONTROL_PERSIST seconds after its last session (ssh_config)."""
        argv = self._argv(target, "-M", "-N", "-f", "-o", "ControlMaster=yes")
        return run_process(argv, runner=self.runner, timeout=self.timeout + 15, echo=False)

    def connect_error(self, target: Target, reply: Reply) -> tuple[str, ShipyardError]:
        """A refused host key: the line the host offers and how to fix known-hosts (exit 2);
        else the connection error (exit 3)."""
        if (
            "Host key verification failed" in reply.output
            or "REMOTE HOST IDENTIFICATION HAS CHANGED" in reply.output
        ):
            known = (
                hostkeys.keys_for(parse_known_hosts(self.known_hosts), target.host, target.port)
                if self.known_hosts.strip()
                else []
            )
            offered = keyscan(self.runner, target, self.timeout)
            return "host key refused", ConfigError(
                hostkeys.refusal(target.host, target.port, offered, known),
                hint="Fix known-hosts for this host (see the line it offered above).",
            )
        return f"cannot connect: {reply.tail(3)}", ExternalError(
            f"Cannot connect to {target.name}: {reply.tail(5)}", title="SSH connection failed"
        )

    def run(self, target: Target, script: Script, timeout: float, tag: str = "") -> ProcessResult:
        """Run the script with bash on the host (stdin; nothing of it on a command line).
        ``tag`` (not secret) names the remote bash (``bash -s TAG``) so that a cancel can find
        and stop it there: killing the local client alone leaves the remote script running."""
        argv = [
            *self._argv(target, "-o", "ControlMaster=no"),
            "bash",
            "-s",
            *([tag] if tag else []),
        ]
        return run_process(argv, runner=self.runner, stdin=script.text, timeout=timeout, echo=False)

    def close(self, target: Target) -> None:
        """End the host's master connection."""
        run_process(self._argv(target, "-O", "exit"), runner=self.runner, timeout=15, echo=False)

    def close_all(self) -> None:
        """End every master connection (a cleanup)."""
        if len(self.targets) <= 1:
            for target in self.targets:
                self.close(target)
            return
        with ThreadPoolExecutor(max_workers=len(self.targets)) as pool:
            list(pool.map(self.close, self.targets))


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


def _known_hosts(settings: Settings, every: Sequence[Target], runner: Runner) -> list[KnownHost]:
    """known-hosts, plus for each host it does not cover the key the host offers whose
    fingerprint host-fingerprints pins (ConfigError when it offers none such)."""
    s = settings
    entries = parse_known_hosts(s.known_hosts) if s.known_hosts.strip() else []
    pins = hostkeys.parse_fingerprints(s.host_fingerprints)
    for target in every:
        if hostkeys.keys_for(entries, target.host, target.port):
            continue
        wanted = pins.get(target.address) or pins.get(target.host) or pins.get(target.name)
        scanned = keyscan(runner, target, s.ssh_timeout)
        pinned = hostkeys.pin_from_scan(scanned, wanted) if wanted else None
        if pinned is None:
            raise ConfigError(
                hostkeys.refusal(target.host, target.port, scanned, []),
                hint="Add the host's line to known-hosts (or its fingerprint to "
                "host-fingerprints).",
            )
        pattern = hostkeys.host_pattern(target.host, target.port)
        entries.append(KnownHost(pattern, pinned.key_type, pinned.key))
    return entries


def open_ssh(
    settings: Settings,
    targets: Sequence[Target],
    secret_file: Callable[..., Path],
    cleanup: Cleanup,
    runner: Runner,
) -> SshTransport:
    """Write the key, known_hosts and ssh_config (0600; ``secret_file`` makes each one) and
    the control socket directory; the transport (not connected yet). The cleanup closes the
    connections and removes the sockets."""
    s = settings
    jump = parse_target(s.jump_host, s.user, "jump-host") if s.jump_host else None
    known = _known_hosts(s, [*targets, *([jump] if jump else [])], runner)
    key = secret_file(s.ssh_key.strip() + "\n", name="ssh-key")
    jump_key = (
        secret_file(s.jump_ssh_key.strip() + "\n", name="jump-key") if s.jump_ssh_key else None
    )
    known_file = secret_file(hostkeys.known_hosts_text(known), name="known_hosts")
    sockets = control_dir()
    cleanup.push(lambda: shutil.rmtree(sockets, ignore_errors=True), "SSH control sockets")
    config = secret_file(
        config_text(
            targets, key=key, known_hosts=known_file, control_dir=sockets,
            timeout=s.ssh_timeout, jump=jump, jump_key=jump_key,
        ),
        name="ssh_config",
    )  # fmt: skip
    transport = SshTransport(runner, config, targets, s.ssh_timeout, s.known_hosts)
    cleanup.push(transport.close_all, "SSH connections")
    return transport
