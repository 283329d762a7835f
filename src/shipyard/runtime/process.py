"""Child processes: argument lists only, streamed and fenced output, whole-group termination.

``run_process`` starts a program (never a shell string) in its own process group, streams its
output line by line to the log (redacted of masked secrets and, when ``untrusted``, fenced with
``::stop-commands::<random token>`` so it cannot issue workflow commands), keeps it for error
messages, and on a timeout or a cancel (KeyboardInterrupt, which run_action raises for SIGINT
and SIGTERM) sends SIGTERM to the whole group, then SIGKILL after a grace period.
``run_parallel`` runs several at once and prints each one's output whole, as it finishes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .commands import Runner, format_command, stop_commands_token
from .environment import child_env
from .errors import ExternalError

#: Seconds between SIGTERM and SIGKILL when a child's group is stopped.
KILL_GRACE = 5.0
#: Seconds to keep reading output after the program ended (a background child may hold it).
DRAIN_TIMEOUT = 10.0


@dataclass(frozen=True)
class ProcessResult:
    """How a child ended and what it printed."""

    argv: tuple[str, ...]
    returncode: int
    #: stdout and stderr merged (unless ``separate_stderr``: then stdout only).
    output: str
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    #: The child was ended by a signal we did not send (e.g. the runner cancelling the job).
    cancelled: bool = False
    #: When it started (``time.monotonic()``): with ``duration``, where it lay in a parallel run.
    started: float = 0.0

    @property
    def ok(self) -> bool:
        """Exit status 0 within the time allowed."""
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the output (and of stderr when kept apart)."""
        text = self.output if not self.stderr or self.stderr in self.output else self.stderr
        return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class ProcessTask:
    """One program for :func:`run_parallel`."""

    name: str
    argv: Sequence[str]
    cwd: str | Path | None = None
    env: Mapping[str, str] | None = None
    stdin: str | bytes | None = None
    timeout: float | None = None
    #: How many of :func:`run_parallel`'s slots (cores) it occupies while it runs; 0: none,
    #: it starts at once (a task at a lower priority, which takes only idle cores).
    slots: int = 1
    #: > 0: the program runs at this lower priority (``nice -n``; children inherit it);
    #: :data:`NICE_IDLE`: in the kernel's idle class.
    nice: int = 0


class _Printer:
    """Prints a child's lines as they come: in a group, fenced when untrusted."""

    def __init__(self, runner: Runner, group: str | None, untrusted: bool, live: bool) -> None:
        self.runner = runner
        self.group = group
        self.fence = untrusted and runner.on_runner
        self.live = live
        self.token = stop_commands_token()
        self.started = False
        self.lines: list[str] = []

    def _opening(self) -> list[str]:
        opening = []
        if self.group:
            opening.append(
                format_command("group", self.group) if self.runner.on_runner else f"== {self.group}"
            )
        if self.fence:
            opening.append(format_command("stop-commands", self.token))
        return opening

    def _closing(self) -> list[str]:
        closing = [f"::{self.token}::"] if self.fence else []
        if self.group and self.runner.on_runner:
            closing.append("::endgroup::")
        return closing

    def line(self, text: str) -> None:
        if not self.live:
            self.lines.append(text)
            return
        with self.runner.lock:
            if not self.started:
                self.started = True
                self.runner.write_lines(self._opening())
            self.runner.write_lines([text])

    def close(self) -> None:
        """End the fence and the group (live), or print the whole buffered block."""
        if self.live:
            if self.started:
                self.runner.write_lines(self._closing())
            elif self.group:
                self.runner.write_lines([*self._opening(), *self._closing()])
            return
        self.runner.write_lines([*self._opening(), *self.lines, *self._closing()])


def _pump(stream: IO[bytes], sink: list[str], printer: _Printer | None) -> None:
    for raw in iter(stream.readline, b""):
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        sink.append(text)
        if printer is not None:
            printer.line(text)
    stream.close()


def _feed(stream: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(OSError):  # the child may exit without reading it all
        stream.write(data)
    with contextlib.suppress(OSError):
        stream.close()


def stop_group(process: subprocess.Popen[bytes], grace: float = KILL_GRACE) -> None:
    """SIGTERM to the child's whole process group, SIGKILL after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            process.wait(timeout=wait)
            # The leader is gone; make sure nothing else of its group lingers.
            os.killpg(process.pid, signal.SIGKILL)
        except subprocess.TimeoutExpired:
            continue
        except (ProcessLookupError, PermissionError):
            pass
        break


def _start(
    argv: Sequence[str],
    cwd: str | Path | None,
    env: Mapping[str, str],
    stdin: str | bytes | None,
    separate_stderr: bool,
    nice: int = 0,
) -> subprocess.Popen[bytes]:
    if isinstance(argv, (str, bytes)):
        raise TypeError("run_process takes an argument list, never a shell string")
    try:
        return subprocess.Popen(
            niced(argv, nice),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if separate_stderr else subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    except OSError as exc:
        raise ExternalError(
            f"Could not start '{argv[0] if argv else ''}': {exc.strerror or exc}.",
            title="Program not started",
            hint="Check that the program is installed and on PATH on this runner.",
        ) from None


#: ``nice`` of a task in the kernel's idle class (SCHED_IDLE): it runs only on the cores that
#: nothing else wants, and takes barely any time from a task that wakes up on them (nice 19
#: still takes 1.5% of a core beside a task of nice 0). Where the class cannot be set (no
#: chrt(1), a sandbox that refuses the call, not Linux), nice 19.
NICE_IDLE = 20


def niced(argv: Sequence[str], nice: int) -> list[str]:
    """``argv`` run at the lower priority ``nice`` (by nice(1), or chrt(1) for
    :data:`NICE_IDLE`, so that the program's first instruction already runs at it and every
    child it starts inherits it); as it is when ``nice`` is 0 or the system has no nice(1)
    (the program then only runs sooner)."""
    if nice >= NICE_IDLE and (chrt := _idle_class()):
        return [chrt, "--idle", "0", *argv]
    program = shutil.which("nice") if nice > 0 else None
    return [program, "-n", str(min(nice, 19)), *argv] if program else list(argv)


@functools.cache
def _idle_class() -> str | None:
    """chrt(1), if it can put a program in the idle class here (tried once, on true(1))."""
    chrt, true = shutil.which("chrt"), shutil.which("true")
    if chrt is None or true is None:
        return None
    try:
        tried = subprocess.run(
            [chrt, "--idle", "0", true],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return chrt if tried.returncode == 0 else None


def _wait(process: subprocess.Popen[bytes], timeout: float | None) -> bool:
    """Wait for the child; True if the timeout passed. KeyboardInterrupt propagates."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return True
        try:
            process.wait(timeout=0.2 if left is None else min(0.2, left))
            return False
        except subprocess.TimeoutExpired:
            continue


def _run(
    argv: Sequence[str],
    *,
    printer: _Printer | None,
    cwd: str | Path | None,
    env: Mapping[str, str],
    stdin: str | bytes | None,
    timeout: float | None,
    separate_stderr: bool,
    running: list[subprocess.Popen[bytes]] | None = None,
    nice: int = 0,
) -> ProcessResult:
    started = time.monotonic()
    process = _start(argv, cwd, env, stdin, separate_stderr, nice)
    if running is not None:
        running.append(process)
    out_lines: list[str] = []
    err_lines: list[str] = []
    threads = []
    assert process.stdout is not None
    threads.append(threading.Thread(target=_pump, args=(process.stdout, out_lines, printer)))
    if separate_stderr:
        assert process.stderr is not None
        threads.append(threading.Thread(target=_pump, args=(process.stderr, err_lines, printer)))
    if stdin is not None:
        assert process.stdin is not None
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        threads.append(threading.Thread(target=_feed, args=(process.stdin, data)))
    for thread in threads:
        thread.daemon = True
        thread.start()
    try:
        timed_out = _wait(process, timeout)
        if timed_out:
            stop_group(process)
    except BaseException:  # a cancel: stop the whole group, then let the cancel go on
        stop_group(process)
        for thread in threads:
            thread.join(timeout=1)
        if printer is not None:
            printer.close()
        raise
    # A background child that inherited the output pipe may keep it open after the program
    # ended: read what comes for a while, then stop waiting for it (the reader is a daemon).
    drain_until = time.monotonic() + DRAIN_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, drain_until - time.monotonic()))
    if printer is not None:
        printer.close()
    returncode = process.returncode
    stdout = "\n".join(out_lines)
    stderr = "\n".join(err_lines)
    return ProcessResult(
        argv=tuple(argv),
        returncode=returncode,
        output=stdout,
        stdout=stdout,
        stderr=stderr,
        duration=time.monotonic() - started,
        timed_out=timed_out,
        cancelled=returncode < 0
        and not timed_out
        and -returncode in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL),
        started=started,
    )


def run_process(
    argv: Sequence[str],
    *,
    runner: Runner,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | bytes | None = None,
    timeout: float | None = None,
    echo: bool = True,
    group: str | None = None,
    untrusted: bool = True,
    separate_stderr: bool = False,
) -> ProcessResult:
    """Run ``argv`` and return how it ended; never raises for a non-zero exit. ``env=None``
    gives the child the run's scrubbed environment without credential-looking variables
    (``ctx.child_env()``). Raises ExternalError only when the program cannot be started."""
    printer = _Printer(runner, group, untrusted, live=True) if echo else None
    return _run(
        argv,
        printer=printer,
        cwd=cwd,
        env=child_env(runner.env) if env is None else env,
        stdin=stdin,
        timeout=timeout,
        separate_stderr=separate_stderr,
    )


class _Slots:
    """Who may start: tasks in order, each once as many slots as it needs are free; a later
    task that fits starts before an earlier one that does not (first fit)."""

    def __init__(self, capacity: int, needs: Sequence[int]) -> None:
        self.free = capacity
        self.needs = [max(0, min(need, capacity)) for need in needs]
        self.pending = list(range(len(needs)))
        self.started: set[int] = set()
        self.cancelled = False
        self.changed = threading.Condition()

    def _dispatch(self) -> None:
        for index in list(self.pending):
            if self.needs[index] <= self.free:
                self.free -= self.needs[index]
                self.pending.remove(index)
                self.started.add(index)
        self.changed.notify_all()

    def acquire(self, index: int) -> bool:
        """Wait for the turn of task ``index``; False once the run is cancelled."""
        with self.changed:
            self._dispatch()
            while index not in self.started and not self.cancelled:
                self.changed.wait()
            return not self.cancelled

    def release(self, index: int) -> None:
        """Task ``index`` ended: its slots go to the next tasks that fit."""
        with self.changed:
            self.free += self.needs[index]
            self._dispatch()

    def cancel(self) -> None:
        """Start nothing more."""
        with self.changed:
            self.cancelled = True
            self.changed.notify_all()


def run_parallel(
    tasks: Sequence[ProcessTask],
    *,
    runner: Runner,
    max_workers: int | None = None,
    untrusted: bool = True,
    capacity: int | None = None,
    echo: bool = True,
) -> list[ProcessResult]:
    """Run the tasks at once, within ``capacity`` slots (default: ``max_workers``, else one
    per core): a task takes its ``slots`` (a program that starts its own workers takes as
    many as it starts) and starts, in task order, once they are free. With ``echo`` each
    one's output is printed whole, in a group named after it, as it finishes. Results are in
    task order."""
    if not tasks:
        return []
    from concurrent.futures import ThreadPoolExecutor

    running: list[subprocess.Popen[bytes]] = []
    slots = _Slots(
        capacity or max_workers or min(len(tasks), os.cpu_count() or 2),
        [task.slots for task in tasks],
    )

    def one(index: int, task: ProcessTask) -> ProcessResult:
        if not slots.acquire(index):
            return ProcessResult(tuple(task.argv), -1, "", "", "", 0.0, cancelled=True)
        try:
            return _run(
                task.argv,
                printer=_Printer(runner, task.name, untrusted, live=False) if echo else None,
                cwd=task.cwd,
                env=child_env(runner.env) if task.env is None else task.env,
                stdin=task.stdin,
                timeout=task.timeout,
                separate_stderr=False,
                running=running,
                nice=task.nice,
            )
        finally:
            slots.release(index)

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(one, index, task) for index, task in enumerate(tasks)]
        try:
            return [future.result() for future in futures]
        except BaseException:  # a cancel: stop every child's group, start no more
            slots.cancel()
            for future in futures:
                future.cancel()
            for process in list(running):
                if process.poll() is None:
                    stop_group(process)
            raise


__all__ = ["KILL_GRACE", "NICE_IDLE", "ProcessResult", "ProcessTask", "run_parallel", "run_process"]
