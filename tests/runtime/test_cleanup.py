"""The cleanup stack, shielded sections and secret files (real signals, real files)."""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from pathlib import Path

import pytest

from shipyard.runtime import Cleanup
from shipyard.runtime.secretfiles import SecretFiles


def test_run_all_is_lifo_once_and_failures_are_warnings() -> None:
    ran: list[str] = []
    warnings: list[str] = []
    cleanup = Cleanup(warn=warnings.append)
    cleanup.push(lambda: ran.append("a"), "a")
    cleanup.push(lambda: 1 / 0, "divide")
    cleanup.push(lambda: ran.append("c"), "c")
    cleanup.run_all()
    cleanup.run_all()
    assert ran == ["c", "a"]
    assert warnings == ["Cleanup 'divide' failed: ZeroDivisionError: division by zero"]


def test_sigterm_interrupts_outside_a_shield() -> None:
    cleanup = Cleanup()
    with cleanup.signals(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            pass


def test_a_signal_inside_a_shield_waits_for_its_end() -> None:
    cleanup = Cleanup()
    steps: list[str] = []
    with cleanup.signals(), pytest.raises(KeyboardInterrupt, match="held during switch"):
        with cleanup.shielded("switch"):
            steps.append("switch started")
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):
                pass
            steps.append("switch finished")
        steps.append("after")  # never reached
    assert steps == ["switch started", "switch finished"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(
        signal.getsignal(signal.SIGTERM)
    )


def _shielded_worker(
    cleanup: Cleanup, inside: threading.Event, go: threading.Event, seen: list[str]
) -> threading.Thread:
    """A thread that enters a shielded block, says so, waits for ``go``, leaves it."""

    def work() -> None:
        try:
            with cleanup.shielded("a host's rollback"):
                inside.set()
                assert go.wait(10)
                seen.append("block finished")
        except BaseException as exc:  # the cancel must not land in this thread
            seen.append(f"worker got {type(exc).__name__}")

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_a_signal_held_by_a_worker_threads_shield_is_raised_in_the_main_thread() -> None:
    """Hosts are put back in parallel, each in a shielded block of its own thread: a cancel
    that arrives meanwhile waits for the block, then interrupts the main thread (where the
    runtime's ``except KeyboardInterrupt`` is), never the worker that happened to end last."""
    cleanup = Cleanup()
    inside, go, seen = threading.Event(), threading.Event(), []
    with cleanup.signals():
        worker = _shielded_worker(cleanup, inside, go, seen)
        assert inside.wait(10)
        with pytest.raises(KeyboardInterrupt, match="held during a host's rollback"):
            os.kill(os.getpid(), signal.SIGTERM)  # held: the worker is shielded
            seen.append("main not interrupted while shielded")
            go.set()
            worker.join(30)  # interrupted here once the worker's block has ended
            for _ in range(1000):
                time.sleep(0.01)
        worker.join(30)
    assert seen == ["main not interrupted while shielded", "block finished"]


def test_concurrent_shields_hold_a_signal_until_the_last_one_ends() -> None:
    """Eight threads in and out of shielded blocks at once (a depth counted without a lock
    loses updates): a signal held meanwhile is raised once, in the main thread, only after
    every block has ended."""
    cleanup = Cleanup()
    threads, events = 8, [(threading.Event(), threading.Event()) for _ in range(8)]
    seen: list[str] = []
    with cleanup.signals():
        workers = [_shielded_worker(cleanup, inside, go, seen) for inside, go in events]
        assert all(inside.wait(10) for inside, _go in events)

        def churn() -> None:
            for _ in range(2000):
                with cleanup.shielded("churn"):
                    pass

        churners = [threading.Thread(target=churn) for _ in range(4)]
        for churner in churners:
            churner.start()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            for _inside, go in events[:-1]:
                go.set()
            for worker in workers[:-1]:
                worker.join(30)
            for churner in churners:
                churner.join(30)
            seen.append("still held: one block is open")
            events[-1][1].set()
            for _ in range(1000):
                time.sleep(0.01)
        for worker in workers:
            worker.join(30)
    assert seen.count("block finished") == threads
    assert seen.index("still held: one block is open") == threads - 1
    assert not [s for s in seen if s.startswith("worker got")]
    with cleanup.shielded("after"):  # the count is back to zero: nothing is held
        pass


def test_secret_files_are_private_and_removed(tmp_path: Path) -> None:
    cleanup = Cleanup()
    files = SecretFiles(str(tmp_path), cleanup)
    key = files.write("-----BEGIN KEY-----\n", name="id_ed25519")
    hosts = files.write(b"host ssh-ed25519 AAAA\n", name="known_hosts")
    assert key.parent == hosts.parent and key.parent.parent == tmp_path
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert key.read_text() == "-----BEGIN KEY-----\n"
    with pytest.raises(FileExistsError):
        files.write("again", name="id_ed25519")
    for bad in ("../x", "a/b", ".hidden", ""):
        with pytest.raises(ValueError):
            files.write("x", name=bad)
    cleanup.run_all()
    assert not key.parent.exists()
