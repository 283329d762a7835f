"""black, with ``--diff``'s lock between its workers taken on a file instead of through a
lock server.

For ``--diff``, black starts a ``multiprocessing.Manager`` and hands its lock to every
file's task, so that two workers never print their diffs into each other. Each task then
opens two authenticated connections to that server (one when the lock's proxy arrives, one
when it is dropped), which the server answers in a thread of its own. For Django's 2,788
files that costs 2.6 CPU-seconds and 1.7 s on two workers (3.1 and 1.9 s on three), where a
lock on a file costs nothing measurable (``bench/bench_black_lock.py``), and black's workers
wait on the server (``bench/bench_lint.py --black-lock``). The lock is only held while a diff
is printed, and only files black would change print one.

Run as ``<venv>/bin/python -I black_diff.py <black's arguments>``: ``multiprocessing.Manager``
is replaced before black is imported (black imports it by name), then black's own console
entry point runs (imported, not looked up: ``importlib.metadata`` costs 25 ms to import).
A manager asked for anything but a lock is a real one.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import sys
import tempfile
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.managers import SyncManager


class FileLock:
    """A lock between processes that travels to a worker as a file name (pickled by value),
    taken with ``flock`` on a descriptor of its own (a descriptor inherited from a fork would
    share the parent's lock)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = -1

    def __enter__(self) -> FileLock:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        os.close(self._fd)  # closing the only descriptor of the file releases the lock
        self._fd = -1


class FileLockManager:
    """What ``multiprocessing.Manager()`` returns to black: its ``Lock()`` is a
    :class:`FileLock`; anything else is asked of a real manager, started then."""

    def __init__(self) -> None:
        handle, self._path = tempfile.mkstemp(prefix="black-diff-", suffix=".lock")
        os.close(handle)
        self._real: SyncManager | None = None

    def Lock(self) -> FileLock:
        """A lock on this manager's file."""
        return FileLock(self._path)

    def shutdown(self) -> None:
        """Removes the file (and stops a real manager, if one was started)."""
        if os.path.exists(self._path):
            os.unlink(self._path)
        if self._real is not None:
            self._real.shutdown()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._real is None:
            from multiprocessing.managers import SyncManager

            self._real = SyncManager()
            self._real.start()
        return getattr(self._real, name)


def install() -> None:
    """Makes ``multiprocessing.Manager`` (as black imports it) a :class:`FileLockManager`."""
    multiprocessing.Manager = FileLockManager  # type: ignore[assignment]


def main() -> int:
    """black's console entry point (``black:patched_main`` since black 19.3b0), as its
    ``black`` executable runs it."""
    install()
    from black import patched_main

    sys.argv[0] = "black"
    patched_main()  # exits with black's own code
    return 0


if __name__ == "__main__":
    sys.exit(main())
