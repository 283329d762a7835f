"""The hosts of one run, worked in parallel through a transport; the runner of their steps.

Shared by every mode (deploy, rollback). A :class:`Fleet` holds each host's immutable
:class:`~.hosts.HostState` (replaced whole by :meth:`Fleet.mark`, under a lock) and its
append-only :class:`~.hosts.StepLog` (written only by :meth:`Fleet.run`). Each host's output
is kept and printed whole (one group per host and phase), never interleaved with another
host's. On a cancel (the signal reaches the main thread only) the steps running on the hosts
are stopped there too, and no further step starts.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from shipyard.runtime import Cleanup, Runner

from . import markers, nginx
from .hosts import HostState, HostView, StepLog, StepRecord
from .markers import Markers
from .render import ScriptRenderer
from .steps import RemoteStep, Reply, StepFailed, StepFlow, StopSteps
from .targets import Target
from .transport import CONNECTION_FAILED, Script, Transport

T = TypeVar("T")
STOP_STEPS_TIMEOUT = 30.0


class Fleet:
    """The hosts, their state and step logs, and the one way steps run on them."""

    def __init__(
        self,
        targets: Sequence[Target],
        transport: Transport,
        renderer: ScriptRenderer,
        runner: Runner,
        cleanup: Cleanup,
        *,
        command_timeout: float,
        token: str | None = None,
    ) -> None:
        self.targets = list(targets)
        self.transport = transport
        self.renderer = renderer
        self.runner = runner
        self.cleanup = cleanup
        self.command_timeout = command_timeout
        self._states = {t.name: HostState(t) for t in targets}
        self._logs = {t.name: StepLog() for t in targets}
        self._output: dict[str, list[str]] = {t.name: [] for t in targets}
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # set from a cancel until the workers have stopped
        # Hosts where a step of this run may still run: started, and not seen to end (a
        # cancel or a timeout ends only the local client). Only these get a StopSteps.
        self._in_flight: set[str] = set()
        # Names this run's remote steps, per host (several "hosts" may share one machine).
        token = token or secrets.token_hex(8)
        self.tags = {t.name: f"shipyard-step-{token}-{i}" for i, t in enumerate(targets)}

    # -- state ------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Every host's name, in the order of the hosts input."""
        return [t.name for t in self.targets]

    def state(self, name: str) -> HostState:
        """The host's state now."""
        with self._lock:
            return self._states[name]

    def mark(self, name: str, **changes: Any) -> HostState:
        """Replace the host's state with one that has ``changes``."""
        with self._lock:
            self._states[name] = replace(self._states[name], **changes)
            return self._states[name]

    def view(self, name: str) -> HostView:
        """The host's state now, with its step log."""
        return HostView(self.state(name), self._logs[name])

    def views(self) -> list[HostView]:
        """Every host's view, in order."""
        return [self.view(name) for name in self.names]

    # -- connecting -------------------------------------------------------------------------
    def connect(self) -> None:
        """Connect to every host at once (a ``connect`` step each); the first host's error
        is raised when any could not be reached or refused."""
        problems = [p for p in self.parallel(self.names, self._connect_one) if p]
        if problems:
            raise problems[0]

    def _connect_one(self, name: str) -> Exception | None:
        target = self.state(name).target
        reply = self.transport.connect(target)
        ok = reply.returncode == 0 and not reply.timed_out
        record = StepRecord("connect", ok, reply.returncode, reply.duration, reply.tail(5))
        self._logs[name].append(record)
        if ok:
            return None
        error, exception = self.transport.connect_error(target, reply)
        self.mark(name, error=error)
        return exception

    # -- running ----------------------------------------------------------------------------
    def parallel(self, names: Sequence[str], work: Callable[[str], T]) -> list[T]:
        """``work`` for each host, one thread each. On a cancel the steps running on the hosts
        are stopped and the workers start no further one; the cancel goes on once they have
        ended, so the cleanup never races a host's own thread."""
        if len(names) <= 1:  # none: a batch whose every host failed within max-failures
            return [work(name) for name in names]
        pool = ThreadPoolExecutor(max_workers=len(names))
        try:
            futures = [pool.submit(work, name) for name in names]
            return [future.result() for future in futures]
        except BaseException:
            self.stopping.set()
            self.stop_steps(names)
            raise
        finally:
            with self.cleanup.shielded("stopping the hosts' steps"):
                pool.shutdown(wait=True, cancel_futures=True)
                self.stopping.clear()

    def each(self, names: Sequence[str], work: Callable[[str], object], phase: str) -> None:
        """``work`` on each host in parallel; a failed step becomes the host's error; each
        host's output is printed as one group named after ``phase``."""

        def one(name: str) -> None:
            try:
                work(name)
            except StepFailed as exc:
                self.mark(name, error=str(exc))
            finally:
                self.flush(name, phase)

        self.parallel(names, one)

    def run(self, name: str, step: RemoteStep[T]) -> T:
        """Run one step on the host; log its code, duration, output and value; its value, or
        StepFailed when it failed."""
        if self.stopping.is_set():
            raise StepFailed(f"{step.name}: not started, the deploy was cancelled")
        target, log = self.state(name).target, self._logs[name]
        with self._lock:
            self._in_flight.add(name)
        try:
            reply = self.transport.run(
                target, Script.of(step), self.command_timeout, self.tags[name]
            )
        except BaseException as exc:  # a cancel while the step ran in this thread
            log.append(StepRecord(step.name, False, -1, 0.0, type(exc).__name__, step))
            raise
        if not reply.timed_out:
            with self._lock:
                self._in_flight.discard(name)
        ok = reply.returncode in step.ok_codes and not reply.timed_out
        value = step.parse(reply) if ok else None
        log.append(
            StepRecord(step.name, ok, reply.returncode, reply.duration, reply.tail(8), step, value)
        )
        self._show(name, step, reply)
        if not ok:
            raise self._failure(name, step, reply)
        return value  # type: ignore[return-value]  # ok: parsed

    def run_flow(self, name: str, flow: StepFlow) -> None:
        """Run each step ``flow`` yields, sending it the step's value."""
        value: Any = None
        while True:
            try:
                step = flow.send(value)
            except StopIteration:
                return
            value = self.run(name, step)

    def call(self, name: str, step: RemoteStep[Any], timeout: float) -> Reply:
        """Housekeeping (unlock, stop the running steps): run ``step`` untagged, whatever the
        state of the run, without logging it."""
        return self.transport.run(self.state(name).target, Script.of(step), timeout, "")

    def _show(self, name: str, step: RemoteStep[Any], reply: Reply) -> None:
        holder = f"{markers.PREFIX} {markers.HOLDER}"
        shown = "\n".join(line for line in reply.output.splitlines() if not line.startswith(holder))
        output = self._output[name]
        output.append(f"--- {step.name}: exit {reply.returncode} in {reply.duration:.1f}s")
        if Markers.read(reply.output).has(markers.PROXY_UNCONFIRMED):
            self.runner.annotate(
                "warning",
                f"{name}: {step.name}: nginx was not seen running the new upstream within "
                f"{nginx.RELOAD_WAIT} s of proxy-reload (the switch went on).",
                title="Proxy reload not confirmed",
            )
        self._warn_tls(name, step, reply)
        if shown.strip():
            output.append(shown.rstrip())

    def _warn_tls(self, name: str, step: RemoteStep[Any], reply: Reply) -> None:
        """HTTPS: a host where health could not be checked through TLS, or where the
        certificate's files could not be given to root."""
        found = Markers.read(reply.output)
        if found.has(markers.TLS_UNCHECKED):
            why = " ".join(found.all(markers.TLS_UNCHECKED)[0])
            self.runner.annotate(
                "warning",
                f"{name}: {step.name}: health was not checked through TLS ({why}).",
                title="HTTPS not checked",
            )
        if found.has(markers.TLS_OWNER):
            self.runner.annotate(
                "warning",
                f"{name}: the certificate's files are owned by {found.first(markers.TLS_OWNER)} "
                "(0600), not root: give the deploy user `sudo chown` for them, or deploy as root.",
                title="Certificate files not owned by root",
            )

    def _failure(self, name: str, step: RemoteStep[Any], reply: Reply) -> StepFailed:
        if reply.timed_out:
            self.stop_steps([name])  # the script would go on on the host
            return StepFailed(f"{step.name} timed out after {self.command_timeout:g}s")
        if reply.returncode == CONNECTION_FAILED:
            return StepFailed(f"{step.name}: the SSH connection failed ({reply.tail(2)})")
        return StepFailed(f"{step.name} failed (exit {reply.returncode}): {reply.tail(3)}")

    def stop_steps(self, names: Sequence[str]) -> None:
        """On a cancel or a timeout: stop this run's steps still running on the hosts (the
        local client ending does not end the remote script), so nothing races the rollback.
        A host with no step of this run in flight is left alone (no round trip)."""
        with self._lock:
            locked = [n for n in names if n in self._in_flight and self._states[n].locked]
        if not locked:
            return

        def one(name: str) -> None:
            step = StopSteps(self.renderer, self.tags[name])
            stopped = step.parse(self.call(name, step, STOP_STEPS_TIMEOUT))
            with self._lock:
                self._in_flight.discard(name)
            if stopped:
                self._output[name].append(f"--- stopped {stopped} running step(s) on the host")

        with ThreadPoolExecutor(max_workers=len(locked)) as pool:
            list(pool.map(one, locked))

    # -- output -----------------------------------------------------------------------------
    def note(self, name: str, line: str) -> None:
        """Add one line of the action's own to the host's output."""
        self._output[name].append(f"--- {line}")

    def flush(self, name: str, phase: str) -> None:
        """Print the host's collected output as one block."""
        output = self._output[name]
        if not output:
            return
        with self.runner.lock, self.runner.group(f"{name}: {phase}"):
            self.runner.untrusted("\n".join(output))
        output.clear()
