"""Helpers shared by the test bed's service modules: paths, ports, processes, waiting."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = Path("/var/cache/shipyard-testbed")
INSTALL_HINT = "run `bash tests/services/install.sh` as root"


class ServiceUnavailable(Exception):
    """A service of the test bed cannot run; ``reason`` says why."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


def state_dir() -> Path:
    """Where the test bed keeps its state: $SHIPYARD_TESTBED_DIR, default <repo>/.testbed."""
    configured = os.environ.get("SHIPYARD_TESTBED_DIR")
    path = Path(configured) if configured else REPO_ROOT / ".testbed"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def cache_dir() -> Path:
    """Where install.sh leaves downloads: $SHIPYARD_TESTBED_CACHE, default /var/cache/..."""
    configured = os.environ.get("SHIPYARD_TESTBED_CACHE")
    return Path(configured) if configured else DEFAULT_CACHE


def require_binary(service: str, name: str) -> str:
    """Return the path of executable ``name`` or raise ServiceUnavailable."""
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.exists()), None
    )
    if found is None:
        raise ServiceUnavailable(service, f"`{name}` is not installed ({INSTALL_HINT})")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``check`` until it returns True or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    tail = text.strip().splitlines()[-lines:]
    return "\n".join(tail) if tail else "(empty log)"


def spawn(argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None) -> int:
    """Start a daemon detached from us (own session, stdio to ``log``) and return its pid.

    No pipe of ours is inherited, so a runner that waits for our output to end never waits
    for the daemon.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else None,
        )
    return proc.pid


def pid_alive(pid: int | None) -> bool:
    """True when ``pid`` names a live, non-zombie process."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            return False
    return True


def pid_runs(pid: int | None, needle: str) -> bool:
    """True when ``pid`` is alive and its command line contains ``needle`` (guards against
    a recycled pid from an old state file)."""
    if not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return needle in cmdline


def stop_pid(pid: int | None, timeout: float = 10.0) -> bool:
    """SIGTERM then SIGKILL ``pid``; True when it is gone."""
    if not pid_alive(pid):
        return True
    assert pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_until(lambda: not pid_alive(pid), timeout):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return wait_until(lambda: not pid_alive(pid), 5)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; never raises on a non-zero exit."""
    try:
        return subprocess.run(
            list(argv),
            env=dict(env) if env is not None else None,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        return subprocess.CompletedProcess(
            list(argv), 124, out, f"{err}\ntimed out after {timeout}s"
        )
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(list(argv), 127, "", str(exc))


def output_tail(result: subprocess.CompletedProcess[str], lines: int = 15) -> str:
    """The last lines of a finished command's stderr and stdout, for error messages."""
    text = "\n".join(part for part in (result.stderr, result.stdout) if part)
    return "\n".join(text.strip().splitlines()[-lines:]) or f"(exit {result.returncode})"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (serialises concurrent test sessions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as JSON readable by the owner only (it may hold a test password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)


def read_json(path: Path) -> dict[str, Any] | None:
    """Read a JSON state file; None when missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
