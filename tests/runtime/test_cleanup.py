"""The cleanup stack, shielded sections and secret files (real signals, real files)."""

from __future__ import annotations

import os
import signal
import stat
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
