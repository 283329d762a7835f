"""One deploy's hosts: SSH set-up with verified keys, the lock, steps with their timings.

Shared by the deploy and rollback modes. Each host's output is kept and printed whole (one
group per host and phase), never interleaved with another host's.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from shipyard.runtime import (
    ActionContext,
    ConfigError,
    ExternalError,
    InputError,
)
from shipyard.runtime.entry import MIN_MASKED_VALUE
from shipyard.runtime.process import ProcessResult

from . import compose, compose_scripts, health, hostkeys, scripts
from .releases import LockHolder, Release, json_markers, marker_values
from .spec import Settings, parse_env_file
from .ssh import SSH_FAILED, Ssh, config_text, control_dir, keyscan
from .targets import Target, parse_target, parse_targets

T = TypeVar("T")
LOCK_HELD = 75


class StepFailed(Exception):
    """A remote step failed; the message says what happened."""


@dataclass
class Step:
    name: str
    ok: bool
    code: int
    seconds: float
    tail: str = ""


@dataclass
class HostRun:
    """What happened on one host (mutated only by the thread working that host)."""

    target: Target
    remote: scripts.Remote
    steps: list[Step] = field(default_factory=list)
    status: str = "untouched"  # untouched, working, deployed, rolled-back, failed
    error: str = ""
    current: str = ""  # the release serving before this run
    old: list[str] = field(default_factory=list)  # its containers
    new: list[str] = field(default_factory=list)  # containers this run started
    switched: bool = False
    locked: bool = False
    digest: str = ""
    log_size: int = 0
    containers: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (release, state)
    records: list[Release] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    compose_releases: set[str] = field(default_factory=set)  # releases deployed with compose
    unfit: str = ""  # why the host cannot take this deploy at all (no docker compose v2)


class Session:
    """The SSH side of one run."""

    def __init__(self, ctx: ActionContext[Settings], release: str) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.release = release
        self.targets = parse_targets(self.settings.hosts, self.settings.user)
        self.lock = LockHolder(
            id=secrets.token_hex(8),
            run_url=ctx.run.run_url,
            actor=ctx.run.actor,
            started=time.time(),
            ttl=self.settings.lock_ttl,
            release=release,
        )
        self.hosts = {t.name: HostRun(t, self.remote(release)) for t in self.targets}
        self.app_env = self._app_env()
        self.compose = (
            compose.load(
                self.settings.compose_file,
                ctx.run.workspace,
                self.settings.port,
                self.settings.compose_service,
            )
            if self.settings.compose_file
            else None
        )
        self.ssh: Ssh | None = None
        self.stopping = threading.Event()  # set from a cancel until the workers have stopped
        # Names this run's remote steps, per host (several "hosts" may share one machine).
        token = secrets.token_hex(8)
        self.step_tags = {t.name: f"shipyard-step-{token}-{i}" for i, t in enumerate(self.targets)}

    def remote(self, release: str) -> scripts.Remote:
        s = self.settings
        return scripts.Remote(
            app=s.app, state_dir=s.state_dir, image=s.image, port=s.port, release=release,
            replicas=s.replicas,
            health_attempts=health.attempts(s.health_timeout, s.health_interval),
            health_interval=s.health_interval, health_path=s.health_path, proxy=s.proxy,
            proxy_config=s.upstream_path, proxy_check=s.proxy_check, proxy_reload=s.proxy_reload,
            volumes=tuple(s.volumes), run_url=self.ctx.run.run_url, actor=self.ctx.run.actor,
            compose=bool(s.compose_file),
        )  # fmt: skip

    def _app_env(self) -> dict[str, str]:
        """env-file (a file on the runner, masked) overlaid by env."""
        merged: dict[str, str] = {}
        if self.settings.env_file:
            path = Path(self.settings.env_file)
            if not path.is_absolute():
                path = Path(self.ctx.run.workspace or ".") / path
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError("env-file", f"cannot read {path}: {exc}") from None
            merged = parse_env_file(text)
            for value in merged.values():
                # As for the env input: a value too short to be a secret ("a", "on") is not
                # masked, or every such word of the log would be.
                if len(value.strip()) >= MIN_MASKED_VALUE:
                    self.ctx.runner.mask(value)
        merged.update(self.settings.env)
        return merged

    # -- set-up -----------------------------------------------------------------------------
    def _known_hosts(self) -> list[hostkeys.KnownHost]:
        s = self.settings
        entries = hostkeys.parse_known_hosts(s.known_hosts) if s.known_hosts.strip() else []
        pins = hostkeys.parse_fingerprints(s.host_fingerprints)
        every = [*self.targets, *([self._jump()] if s.jump_host else [])]
        for target in every:
            if hostkeys.keys_for(entries, target.host, target.port):
                continue
            wanted = pins.get(target.address) or pins.get(target.host) or pins.get(target.name)
            scanned = keyscan(self.ctx.runner, target, s.ssh_timeout)
            pinned = hostkeys.pin_from_scan(scanned, wanted) if wanted else None
            if pinned is None:
                raise ConfigError(
                    hostkeys.refusal(target.host, target.port, scanned, []),
                    hint="Add the host's line to known-hosts (or its fingerprint to "
                    "host-fingerprints).",
                )
            entries.append(
                hostkeys.KnownHost(
                    hostkeys.host_pattern(target.host, target.port), pinned.key_type, pinned.key
                )
            )
        return entries

    def _jump(self) -> Target:
        assert self.settings.jump_host
        return parse_target(self.settings.jump_host, self.settings.user, "jump-host")

    def open(self) -> None:
        """Write the key, known_hosts and ssh_config (0600) and connect to every host."""
        s = self.settings
        known = self._known_hosts()
        ctx = self.ctx
        key = ctx.secret_file(s.ssh_key.strip() + "\n", name="ssh-key")
        jump_key = (
            ctx.secret_file(s.jump_ssh_key.strip() + "\n", name="jump-key")
            if s.jump_ssh_key
            else None
        )
        known_file = ctx.secret_file(hostkeys.known_hosts_text(known), name="known_hosts")
        sockets = control_dir()
        ctx.cleanup.push(lambda: shutil.rmtree(sockets, ignore_errors=True), "SSH control sockets")
        config = ctx.secret_file(
            config_text(
                self.targets, key=key, known_hosts=known_file, control_dir=sockets,
                timeout=s.ssh_timeout, jump=self._jump() if s.jump_host else None,
                jump_key=jump_key,
            ),
            name="ssh_config",
        )  # fmt: skip
        self.ssh = Ssh(ctx.runner, config, self.targets, s.ssh_timeout)
        ctx.cleanup.push(self.close_all, "SSH connections")
        results = self.parallel(self.targets, self._connect_one)
        problems = [r for r in results if r]
        if problems:
            raise problems[0]

    def _connect_one(self, target: Target) -> Exception | None:
        assert self.ssh is not None
        started = time.monotonic()
        result = self.ssh.connect(target)
        host = self.hosts[target.name]
        host.steps.append(
            Step(
                "connect", result.ok, result.returncode, time.monotonic() - started, result.tail(5)
            )
        )
        if result.ok:
            return None
        if (
            "Host key verification failed" in result.output
            or "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.output
        ):
            known = (
                hostkeys.keys_for(
                    hostkeys.parse_known_hosts(self.settings.known_hosts), target.host, target.port
                )
                if self.settings.known_hosts.strip()
                else []
            )
            offered = keyscan(self.ctx.runner, target, self.settings.ssh_timeout)
            host.error = "host key refused"
            return ConfigError(
                hostkeys.refusal(target.host, target.port, offered, known),
                hint="Fix known-hosts for this host (see the line it offered above).",
            )
        host.error = f"cannot connect: {result.tail(3)}"
        return ExternalError(
            f"Cannot connect to {target.name}: {result.tail(5)}", title="SSH connection failed"
        )

    def close_all(self) -> None:
        if self.ssh is not None:
            self.parallel(self.targets, self.ssh.close)

    # -- running ----------------------------------------------------------------------------
    def parallel(self, targets: Sequence[Target], work: Callable[[Target], T]) -> list[T]:
        """``work`` for each target, one thread each. On a cancel (the signal reaches the main
        thread only) the steps running on the hosts are stopped and the workers start no
        further one; the cancel goes on once they have ended, so the cleanup never races a
        host's own thread."""
        if len(targets) <= 1:  # none: a batch whose every host failed within max-failures
            return [work(target) for target in targets]
        pool = ThreadPoolExecutor(max_workers=len(targets))
        try:
            futures = [pool.submit(work, target) for target in targets]
            return [future.result() for future in futures]
        except BaseException:
            self.stopping.set()
            self.stop_steps([self.hosts[t.name] for t in targets])
            raise
        finally:
            with self.ctx.cleanup.shielded("stopping the hosts' steps"):
                pool.shutdown(wait=True, cancel_futures=True)
                self.stopping.clear()

    def run(
        self, host: HostRun, name: str, script: str, *, ok_codes: Sequence[int] = (0,)
    ) -> ProcessResult:
        """Run one step; keep its code, duration and output; StepFailed when it failed."""
        assert self.ssh is not None
        if self.stopping.is_set():
            raise StepFailed(f"{name}: not started, the deploy was cancelled")
        result = self.ssh.run(
            host.target, script, self.settings.command_timeout, self.step_tags[host.target.name]
        )
        ok = result.returncode in ok_codes
        host.steps.append(Step(name, ok, result.returncode, result.duration, result.tail(8)))
        shown = "\n".join(
            line for line in result.output.splitlines() if not line.startswith("@@shipyard holder")
        )
        host.output.append(f"--- {name}: exit {result.returncode} in {result.duration:.1f}s")
        if marker_values(result.output, "proxy-unconfirmed"):
            self.ctx.runner.annotate(
                "warning",
                f"{host.target.name}: {name}: nginx was not seen running the new upstream "
                "within 15 s of proxy-reload (the switch went on).",
                title="Proxy reload not confirmed",
            )
        if shown.strip():
            host.output.append(shown.rstrip())
        if not ok:
            if result.timed_out:
                self.stop_steps([host])  # the script would go on on the host
                raise StepFailed(f"{name} timed out after {self.settings.command_timeout:g}s")
            if result.returncode == SSH_FAILED:
                raise StepFailed(f"{name}: the SSH connection failed ({result.tail(2)})")
            raise StepFailed(f"{name} failed (exit {result.returncode}): {result.tail(3)}")
        return result

    def stop_steps(self, hosts: Sequence[HostRun]) -> None:
        """On a cancel or a timeout: stop this run's steps still running on the hosts (the
        local ssh client ending does not end the remote script), so nothing races the rollback."""
        locked = [h for h in hosts if h.locked]
        if not locked or self.ssh is None:
            return
        ssh = self.ssh

        def one(host: HostRun) -> None:
            script = scripts.stop_steps(host.remote, self.step_tags[host.target.name])
            result = ssh.run(host.target, script, 30)
            stopped = marker_values(result.output, "stopped-step")
            if stopped:
                host.output.append(f"--- stopped {len(stopped)} running step(s) on the host")

        with ThreadPoolExecutor(max_workers=len(locked)) as pool:
            list(pool.map(one, locked))

    def flush(self, host: HostRun, phase: str) -> None:
        """Print the host's collected output as one block."""
        if not host.output:
            return
        with self.ctx.runner.lock, self.ctx.runner.group(f"{host.target.name}: {phase}"):
            self.ctx.runner.untrusted("\n".join(host.output))
        host.output.clear()

    # -- lock and state ---------------------------------------------------------------------
    def take_lock(self, host: HostRun) -> ProcessResult:
        deadline = time.monotonic() + self.settings.lock_wait
        precheck = compose_scripts.CHECK if self.compose else ""
        while True:
            result = self.run(
                host,
                "lock",
                scripts.lock(host.remote, self.lock, precheck),
                ok_codes=(0, LOCK_HELD, compose_scripts.NO_COMPOSE),
            )
            if result.returncode == compose_scripts.NO_COMPOSE:
                found = marker_values(result.output, "no-compose")
                host.unfit = (
                    "has no docker compose v2 for the deploy user (found: "
                    + (" ".join(found[0]) if found and found[0] else "none")
                    + ")"
                )
                raise StepFailed(f"{host.target.name} {host.unfit}")
            holder = next(iter(json_markers(result.output, "holder")), {})
            if result.returncode == 0:
                host.locked = True
                if marker_values(result.output, "taken-over"):
                    who = LockHolder.from_json(_dumps(holder))
                    self.ctx.runner.annotate(
                        "warning",
                        f"{host.target.name}: took over a lock past its TTL, held by "
                        + (who.describe(time.time()) if who else "an unknown run"),
                        title="Stale deploy lock taken over",
                    )
                return result
            if time.monotonic() >= deadline:
                who = LockHolder.from_json(_dumps(holder))
                raise StepFailed(
                    f"another deploy holds the lock of {self.settings.app}: "
                    + (who.describe(time.time()) if who else "an unknown run")
                )
            time.sleep(min(3.0, max(0.5, deadline - time.monotonic())))

    def release_locks(self) -> None:
        locked = [h.target for h in self.hosts.values() if h.locked]
        if locked and self.ssh is not None:
            self.parallel(locked, self._unlock)

    def _unlock(self, target: Target) -> None:
        assert self.ssh is not None
        host = self.hosts[target.name]
        result = self.ssh.run(target, scripts.unlock(host.remote, self.lock.id), 60)
        host.locked = not result.ok
        if not result.ok:
            self.ctx.runner.annotate(
                "warning",
                f"{target.name}: could not release the deploy lock "
                f"({result.tail(2)}); it expires after lock-ttl.",
            )

    def read_state(self, host: HostRun, result: ProcessResult) -> None:
        """What the lock step reported of the host: current release, containers, records."""
        current = marker_values(result.output, "current")
        host.current = current[0][0] if current and current[0] else ""
        host.containers = {
            w[0]: (w[1], w[2]) for w in marker_values(result.output, "container") if len(w) >= 3
        }
        host.compose_releases = {w[0] for w in marker_values(result.output, "compose-release") if w}
        host.records = [
            r for d in json_markers(result.output, "release") if (r := Release.from_json(_dumps(d)))
        ]
        host.old = sorted(
            n
            for n, (rel, _state) in host.containers.items()
            if rel == host.current and host.current
        )

    def prepare(self, host: HostRun) -> None:
        """Lock and read the host's state (the connection is already up)."""
        self.read_state(host, self.take_lock(host))

    def refuse_unfit(self) -> None:
        """A host that cannot take a compose-file deploy stops the run before any change."""
        unfit = [h for h in self.hosts.values() if h.unfit]
        if unfit:
            raise ConfigError(
                "compose-file needs docker compose v2 on every host; "
                + "; ".join(f"{h.target.name} {h.unfit}" for h in unfit)
                + ". Nothing was changed.",
                title="docker compose v2 missing",
                hint="Install Docker Compose v2 on the host (the docker-compose-plugin package "
                "of Docker's repository, docker-compose-v2 on Ubuntu, docker-compose on Debian "
                "trixie) so `docker compose version` works for the deploy user.",
            )


def _dumps(data: object) -> str:
    import json

    return json.dumps(data)
