"""An in-memory fleet of hosts behind the deploy's Transport, for orchestration tests that run
in milliseconds: no sshd, dockerd or nginx.

Each :class:`SimHost` keeps what a real host keeps for the app: containers (release, running
or not), the nginx upstream, the ``current`` release, the lock, release records, the audit
log and compose projects. :class:`MemoryFleet` runs a step by reading the step *value* (never
its bash) and answers as the script would: exit code and ``@@shipyard`` markers of the same
vocabulary (``shipyard.deploy.markers``), so each step's parser is exercised. Failures are
injected per host and step; a cancel is a real SIGTERM to the main thread (handled by the
runtime's cleanup, as on a runner), sent while a step "runs" on a host, which then goes on
running there until a ``StopSteps`` ends it, as a remote script would.

The real-host tests (``test_blue_green.py`` and the others) remain the proof that the scripts
do on a host what this model assumes.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shipyard.deploy import compose_steps as cs
from shipyard.deploy import container_steps as ct
from shipyard.deploy import markers as m
from shipyard.deploy import steps as st
from shipyard.deploy.compose import project
from shipyard.deploy.releases import LockHolder
from shipyard.deploy.targets import Target
from shipyard.deploy.transport import Script
from shipyard.runtime import ConfigError, ExternalError, FakeClock, ShipyardError
from shipyard.runtime.process import ProcessResult
from tests.deploy import memory_ops
from tests.deploy.memory_ops import OpsState

Reply = ProcessResult


def reply(code: int = 0, lines: Iterable[str] = (), seconds: float = 0.01) -> Reply:
    """A transport reply: exit code and output lines."""
    output = "\n".join(lines)
    return ProcessResult((), code, output, output, "", seconds)


def say(word: str, *args: object) -> str:
    """One marker line, as the script's ``say`` prints it."""
    return " ".join([m.PREFIX, word, *(str(a) for a in args)])


@dataclass
class Fault:
    """What happens when a step runs on a host: exit ``code`` with ``output``, a timeout, or a
    cancel (SIGTERM to the main thread while the step keeps running on the host)."""

    code: int = 1
    output: str = "injected failure"
    times: int = 1  # how many runs of the step it hits (0: every one)
    timeout: bool = False
    cancel: bool = False
    hold: threading.Event | None = None  # runs until a StopSteps; set once it runs
    after: threading.Event | None = None  # a cancel waits for this first


@dataclass
class SimHost:
    """One simulated host's state for the app."""

    name: str
    containers: dict[str, list[str]] = field(default_factory=dict)  # name: [release, state]
    upstream: list[str] = field(default_factory=list)
    current: str = ""
    lock: dict[str, Any] | None = None  # id, started, ttl, holder
    records: dict[str, str] = field(default_factory=dict)  # release: JSON
    audit: list[dict[str, Any]] = field(default_factory=list)
    compose_dirs: set[str] = field(default_factory=set)
    compose_version: str = "2.29.1"
    sick: set[str] = field(default_factory=set)  # releases whose containers never get healthy
    requests: tuple[int, int] | None = None  # (total, 5xx) in the access log per watch check
    ran: list[str] = field(default_factory=list)  # every step name, in order
    ports: dict[str, int] = field(default_factory=dict)  # container: its published port
    hooks: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (name, the env)
    running: dict[str, threading.Event] = field(default_factory=dict)  # tag: ended
    stopped: list[str] = field(default_factory=list)  # tags a StopSteps ended
    ops: OpsState = field(default_factory=OpsState)  # disk, images, HTTPS, maintenance...

    # -- what a test reads ------------------------------------------------------------------
    @property
    def serving(self) -> str:
        """The release nginx routes to ('' when none)."""
        releases = {self.containers[n][0] for n in self.upstream if n in self.containers}
        return releases.pop() if len(releases) == 1 else ""

    def events(self) -> list[str]:
        """The audit log's events."""
        return [e["event"] for e in self.audit]

    def running_of(self, release: str) -> list[str]:
        """The running containers of ``release``."""
        return sorted(n for n, (r, s) in self.containers.items() if r == release and s == "running")

    # -- set-up -----------------------------------------------------------------------------
    def deployed(self, release: str, replicas: int = 1, app: str = "api") -> None:
        """As after a deploy of ``release``: running, routed, recorded."""
        names = [f"{app}-{release}-{i}" for i in range(1, replicas + 1)]
        for other in self.containers.values():
            other[1] = "exited"
        for name in names:
            self.containers[name] = [release, "running"]
        self.upstream, self.current = names, release
        record = {"id": release, "image": f"reg/{app}:{release}", "digest": f"reg/{app}@sha256:"
                  + release.encode().hex()[:64].ljust(64, "0"), "started": 0, "run_url": "",
                  "actor": "", "result": "deployed", "replicas": replicas}  # fmt: skip
        self.records[release] = json.dumps(record)
        self.audit.append({"event": "deployed", "release": release})


class MemoryFleet:
    """Simulated hosts behind the Transport protocol (see the module)."""

    def __init__(self, names: Iterable[str], clock: FakeClock | None = None) -> None:
        self.hosts = {name: SimHost(name) for name in names}
        self.clock = clock or FakeClock(1_700_000_000.0)
        self.faults: dict[tuple[str, str], Fault] = {}
        self.unreachable: dict[str, str] = {}  # host: "key" (refused key) or "down"
        self.calls: list[tuple[str, str, str]] = []  # (host, step, tag)
        self.scripts: list[str] = []  # every script rendered, in order
        self._lock = threading.Lock()
        self.on_step: Callable[[str, str], None] | None = None  # called as each step starts

    def targets(self) -> list[Target]:
        """The hosts as the deploy names them."""
        return [Target(name, f"10.0.0.{i}", 22, "deploy") for i, name in enumerate(self.hosts, 1)]

    def fail(self, host: str, step: str, **fault: Any) -> None:
        """Make ``step`` fail on ``host`` (see :class:`Fault`)."""
        self.faults[(host, step)] = Fault(**fault)

    def cancel_at(self, host: str, step: str, after: threading.Event | None = None) -> None:
        """Cancel the run (SIGTERM) while ``step`` runs on ``host`` (once ``after`` is set)."""
        self.faults[(host, step)] = Fault(cancel=True, after=after)

    def hold(self, host: str, step: str) -> threading.Event:
        """Make ``step`` run on ``host`` until a StopSteps ends it; the event is set once it
        runs."""
        started = threading.Event()
        self.faults[(host, step)] = Fault(hold=started)
        return started

    # -- Transport --------------------------------------------------------------------------
    def connect(self, host: Target) -> Reply:
        """Refused or down when so injected."""
        problem = self.unreachable.get(host.name)
        if problem == "key":
            return reply(255, ["Host key verification failed."])
        return reply(255, ["ssh: connect to host: Connection refused"]) if problem else reply()

    def connect_error(self, host: Target, answer: Reply) -> tuple[str, ShipyardError]:
        """As the SSH transport words it."""
        if "Host key" in answer.output:
            return "host key refused", ConfigError(f"The host key of {host.host} is unknown")
        return f"cannot connect: {answer.tail(3)}", ExternalError(f"Cannot connect to {host.name}")

    def run(self, host: Target, script: Script, timeout: float, tag: str) -> Reply:
        """Answer as the step's script would on the simulated host."""
        sim, step = self.hosts[host.name], script.step
        with self._lock:
            self.calls.append((host.name, step.name, tag))
            self.scripts.append(script.text)
        if self.on_step is not None:
            self.on_step(host.name, step.name)
        fault = self._fault(host.name, step.name)
        if fault is not None and (fault.cancel or fault.hold):
            return self._cancelled(sim, tag, fault)
        if fault is not None:
            if fault.timeout:
                return ProcessResult((), -15, "", "", "", timeout, timed_out=True)
            return reply(fault.code, [fault.output])
        with self._lock:
            sim.ran.append(step.name)
            return self._answer(sim, step)

    def _fault(self, host: str, step: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get((host, step))
            if fault is None:
                return None
            if fault.times == 1:
                del self.faults[(host, step)]
            elif fault.times > 1:
                fault.times -= 1
            return fault

    def _cancelled(self, sim: SimHost, tag: str, fault: Fault) -> Reply:
        """The runner cancels while this step runs: SIGTERM to the main thread (``hold``: no
        signal, the step only runs on). In the main thread the local client is stopped and the
        cancel goes on (the remote step keeps running until a StopSteps); in a worker the step
        runs until a StopSteps ends it."""
        ended = threading.Event()
        sim.running[tag] = ended
        if fault.hold is not None:
            fault.hold.set()
        elif threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt("signal 15 (simulated)")
        else:
            if fault.after is not None and not fault.after.wait(10):
                raise AssertionError("the other host never reached its step")
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)
        if not ended.wait(10):
            raise AssertionError("the cancelled step was never stopped on the host")
        return reply(143, ["Terminated"])

    # -- the steps --------------------------------------------------------------------------
    def _answer(self, sim: SimHost, step: Any) -> Reply:
        handlers: dict[type, Callable[[SimHost, Any], Reply]] = {
            st.Lock: self._lock_step, st.Unlock: self._unlock, st.StopSteps: self._stop_steps,
            st.Pull: self._pull, st.Hook: self._hook, st.Migrate: self._quiet,
            st.LogSize: self._log_size, st.Watch: self._watch, st.Record: self._record,
            ct.Start: self._start, ct.Check: self._check, ct.Switch: self._switch,
            ct.Replica: self._replica, ct.Stop: self._stop, ct.Revert: self._revert,
            ct.BringBack: self._bring_back, cs.ComposeStart: self._compose_start,
            cs.ComposeCheck: self._check, cs.ComposeStop: self._compose_stop,
            cs.ComposeBringBack: self._compose_bring_back, cs.ComposeRevert: self._compose_revert,
        }  # fmt: skip
        handlers.update(memory_ops.handlers(self))
        return handlers[type(step)](sim, step)

    def _facts(self, sim: SimHost) -> list[str]:
        lines = [say(m.CURRENT, sim.current)]
        lines += [say(m.CONTAINER, n, r, s) for n, (r, s) in sorted(sim.containers.items())]
        lines += [say(m.RELEASE, record) for record in sim.records.values()]
        lines += [say(m.COMPOSE_RELEASE, r) for r in sorted(sim.compose_dirs)]
        return lines

    def _lock_step(self, sim: SimHost, step: st.Lock) -> Reply:
        if step.precheck and not sim.compose_version.startswith("2"):
            return reply(st.NO_COMPOSE, [say(m.NO_COMPOSE, sim.compose_version or "none")])
        short = memory_ops.short_of_space(sim, step)
        if short is not None:
            return short
        holder: LockHolder = step.holder
        mine = {"id": holder.id, "started": self.clock.now(), "ttl": holder.ttl,
                "holder": holder.to_json()}  # fmt: skip
        if sim.lock is None or sim.lock["id"] == holder.id:
            sim.lock = mine
            return reply(0, [say(m.LOCKED), *self._facts(sim)])
        held = [say(m.HOLDER, sim.lock["holder"])]
        if self.clock.now() - sim.lock["started"] > sim.lock["ttl"]:
            sim.lock = mine
            return reply(0, [*held, say(m.TAKEN_OVER), *self._facts(sim)])
        return reply(st.LOCK_HELD, [*held, say(m.HELD)])

    def _unlock(self, sim: SimHost, step: st.Unlock) -> Reply:
        if sim.lock is not None and sim.lock["id"] == step.lock_id:
            sim.lock = None
            return reply(0, [say(m.UNLOCKED)])
        return reply()

    def _stop_steps(self, sim: SimHost, step: st.StopSteps) -> Reply:
        ended = sim.running.pop(step.tag, None)
        if ended is None:
            return reply()
        sim.stopped.append(step.tag)
        ended.set()
        return reply(0, [say(m.STOPPED_STEP, 4242)])

    def _pull(self, sim: SimHost, step: st.Pull) -> Reply:
        image = step.image or step.renderer.image
        return reply(0, [say(m.DIGEST, image.split("@")[0].split(":")[0] + "@sha256:" + "d" * 64)])

    def _quiet(self, sim: SimHost, step: Any) -> Reply:
        return reply()

    def _hook(self, sim: SimHost, step: st.Hook) -> Reply:
        """Keep the environment the action gives the user's command (it is not run)."""
        r = step.renderer
        env = {"SHIPYARD_APP": r.app, "SHIPYARD_RELEASE": r.release, "SHIPYARD_IMAGE": r.image}
        env.update(step.extra)
        if step.upstreams:
            for name in step.upstreams:
                if name not in sim.ports:
                    return reply(1, [f"{name} publishes no port for SHIPYARD_UPSTREAMS"])
            addresses = (f"127.0.0.1:{sim.ports[name]}" for name in step.upstreams)
            env["SHIPYARD_UPSTREAMS"] = " ".join(addresses)
        sim.hooks.append((step.name, env))
        return reply(0, [say(m.HOOK, step.name)])

    def _log_size(self, sim: SimHost, step: st.LogSize) -> Reply:
        return reply(0, [say(m.LOG_SIZE, 1000 if step.access_log else 0)])

    def _healthy(self, sim: SimHost, name: str) -> bool:
        release, state = sim.containers.get(name, ["", "missing"])
        return state == "running" and release not in sim.sick

    def _watch(self, sim: SimHost, step: st.Watch) -> Reply:
        lines = [say(m.CHECK, n, 200 if self._healthy(sim, n) else 502) for n in step.names]
        if step.access_log and sim.requests is not None:
            lines.append(say(m.REQUESTS, *sim.requests))
        failed = not all(self._healthy(sim, n) for n in step.names)
        return reply(1 if failed else 0, lines)

    def _record(self, sim: SimHost, step: st.Record) -> Reply:
        sim.records[step.release] = step.release_json
        sim.audit.append(json.loads(step.audit_json))
        keep = sorted({r for r, _s in sim.containers.values() if r in sim.records}, reverse=True)[
            step.keep :
        ]
        lines = []
        for release in keep:
            if release == sim.current:
                continue
            for name in [n for n, (r, _s) in sim.containers.items() if r == release]:
                del sim.containers[name]
            lines.append(say(m.PRUNED, release))
        return reply(0, lines)

    def _run(self, sim: SimHost, names: Iterable[str], release: str) -> list[str]:
        lines = []
        for name in names:
            sim.containers[name] = [release, "running"]
            sim.ports[name] = 32000 + len(sim.ports) + 1
            lines.append(say(m.STARTED, name, sim.ports[name]))
        return lines

    def _wait(self, sim: SimHost, names: Iterable[str]) -> Reply | None:
        for name in names:
            if not self._healthy(sim, name):
                return reply(1, [say(m.UNHEALTHY, name, "000")])
        return None

    def _route(self, sim: SimHost, release: str, names: list[str]) -> list[str]:
        sim.upstream = list(names)
        return [say(m.SWITCHED, release, " ".join(names)), say(m.PROXY_APPLIED)]

    def _start(self, sim: SimHost, step: ct.Start) -> Reply:
        r = step.renderer
        return reply(0, self._run(sim, r.names(), r.release))

    def _check(self, sim: SimHost, step: Any) -> Reply:
        return self._wait(sim, step.names) or reply(
            0, [say(m.HEALTHY, n, 200, 1) for n in step.names]
        )

    def _switch(self, sim: SimHost, step: ct.Switch) -> Reply:
        if any(sim.containers.get(n, ["", ""])[1] != "running" for n in step.names):
            return reply(1, ["Error: No such container"])
        lines = self._route(sim, step.release, list(step.names))
        sim.current = step.release
        return reply(0, lines)

    def _replica(self, sim: SimHost, step: ct.Replica) -> Reply:
        r, index, old = step.renderer, step.index, list(step.old)
        new = r.names()
        lines = self._run(sim, [new[index - 1]], r.release)
        failed = self._wait(sim, [new[index - 1]])
        if failed:
            return failed
        lines += self._route(sim, r.release, old[index:] + new[:index])
        if index == len(new):
            sim.current = r.release
        for name in ([old[index - 1]] if index - 1 < len(old) else []) + (
            old[len(new) :] if index == len(new) else []
        ):
            sim.containers[name][1] = "exited"
        return reply(0, lines)

    def _stop(self, sim: SimHost, step: ct.Stop) -> Reply:
        for name in step.names:
            if name in sim.containers:
                sim.containers[name][1] = "exited"
        if step.audit_json:
            sim.audit.append(json.loads(step.audit_json))
        return reply(0, [say(m.STOPPED)])

    def _revert(self, sim: SimHost, step: ct.Revert) -> Reply:
        lines = []
        if step.old:
            for name in step.old:
                if name not in sim.containers:
                    return reply(1, [f"Error: No such container: {name}"])
                sim.containers[name][1] = "running"
            failed = self._wait(sim, step.old)
            if failed:
                return failed
            lines += self._route(sim, step.old_release, list(step.old))
            sim.current = step.old_release
        for name in step.new:
            sim.containers.pop(name, None)
        return reply(0, [*lines, say(m.REVERTED)])

    def _bring_back(self, sim: SimHost, step: ct.BringBack) -> Reply:
        for name in step.names:
            sim.containers[name][1] = "running"
        failed = self._wait(sim, step.names)
        if failed:
            return failed
        lines = self._route(sim, step.release, list(step.names))
        sim.current = step.release
        return reply(0, lines)

    # -- compose: a project's routed container is <project>-web-1 -----------------------------
    def _routed(self, app: str, release: str) -> str:
        return f"{project(app, release)}-web-1"

    def _compose_start(self, sim: SimHost, step: cs.ComposeStart) -> Reply:
        if step.app is None and step.release not in sim.compose_dirs:
            return reply(1, [f"the compose file of release {step.release} is no longer here"])
        sim.compose_dirs.add(step.release)
        return reply(
            0, self._run(sim, [self._routed(step.renderer.app, step.release)], step.release)
        )

    def _compose_stop(self, sim: SimHost, step: cs.ComposeStop) -> Reply:
        for name, (release, _state) in sim.containers.items():
            if release == step.release:
                sim.containers[name][1] = "exited"
        if step.audit_json:
            sim.audit.append(json.loads(step.audit_json))
        return reply(0, [say(m.STOPPED)])

    def _compose_up_again(self, sim: SimHost, app: str, release: str) -> Reply | None:
        name = self._routed(app, release)
        if name not in sim.containers:
            return reply(1, [f"no routed container in {project(app, release)}"])
        sim.containers[name][1] = "running"
        failed = self._wait(sim, [name])
        if failed:
            return failed
        self._route(sim, release, [name])
        sim.current = release
        return None

    def _compose_bring_back(self, sim: SimHost, step: cs.ComposeBringBack) -> Reply:
        failed = self._compose_up_again(sim, step.renderer.app, step.release)
        return failed or reply(0, [say(m.SWITCHED, step.release, "")])

    def _compose_revert(self, sim: SimHost, step: cs.ComposeRevert) -> Reply:
        app = step.renderer.app
        if step.old_release:
            failed = self._compose_up_again(sim, app, step.old_release)
            if failed:
                return failed
        for name in [n for n, (r, _s) in sim.containers.items() if r == step.new_release]:
            del sim.containers[name]
        return reply(0, [say(m.REVERTED)])


def no_env() -> dict[str, str]:
    """An environment without GitHub's variables (a Runner outside a runner)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
