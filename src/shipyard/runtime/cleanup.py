"""A stack of cleanups that runs on success, failure, SIGINT and SIGTERM, and shielded sections.

Composite actions have no ``post:`` step, so whatever an action must undo (a secret file, a
builder, a half-switched deployment) is pushed on ``ctx.cleanup``; ``run_action`` runs the
stack once whatever happens. A :meth:`Cleanup.shielded` block is not cut by a cancel: a
SIGINT/SIGTERM that arrives while any thread is inside one is held until the last such block
ends, then raised as ``KeyboardInterrupt`` in the main thread (the only thread Python delivers
signals to, and the one whose ``except KeyboardInterrupt`` runs the cleanups).

Shielded blocks may be entered from several threads at once (a deploy puts hosts back in
parallel, each in its own block): their count and the held signal are kept under a lock, and a
block that ends last in a worker thread hands the held signal back to the main thread instead
of raising it where nobody expects a cancel.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


class Cleanup:
    """LIFO cleanups; signal handling that respects shielded sections (thread-safe)."""

    def __init__(self, warn: Callable[[str], None] | None = None) -> None:
        self._stack: list[tuple[Callable[[], object], str]] = []
        self._warn = warn or (lambda _message: None)
        # Re-entrant: the signal handler runs in the main thread, maybe while it holds it.
        self._lock = threading.RLock()
        self._shield_depth = 0  # shielded blocks open now, in every thread
        self._deferred: int | None = None  # a signal held until the last block ends
        self._installed = False  # handle_signal is the process's SIGINT/SIGTERM handler
        self._handed = ""  # why a signal was handed back to the main thread
        self._cancelled = False

    def __len__(self) -> int:
        return len(self._stack)

    def push(self, fn: Callable[[], object], what: str) -> None:
        """Run ``fn`` at the end (last pushed, first run); ``what`` names it in warnings."""
        with self._lock:
            self._stack.append((fn, what))

    def run_all(self) -> None:
        """Run every cleanup once, newest first. A failing cleanup is a warning, never an error;
        a cancel that arrives meanwhile waits until all have run."""
        self._enter()
        try:
            while True:
                with self._lock:
                    if not self._stack:
                        break
                    fn, what = self._stack.pop()
                try:
                    fn()
                except Exception as exc:
                    self._warn(f"Cleanup '{what}' failed: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._shield_depth -= 1

    @contextmanager
    def shielded(self, what: str) -> Iterator[None]:
        """A block that a SIGINT/SIGTERM does not interrupt: the signal is held until the last
        open block (in any thread) ends, then raised as KeyboardInterrupt in the main thread."""
        self._enter()
        try:
            yield
        finally:
            held = self._leave()
        if held is None:
            return
        if threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt(f"signal {held} (held during {what})")
        self._hand_to_main(held, what)

    def _enter(self) -> None:
        with self._lock:
            self._shield_depth += 1

    def _leave(self) -> int | None:
        """Close one block; the held signal when it was the last one open."""
        with self._lock:
            self._shield_depth -= 1
            if self._shield_depth > 0 or self._deferred is None:
                return None
            held, self._deferred = self._deferred, None
            return held

    def _hand_to_main(self, signum: int, what: str) -> None:
        """Deliver a held signal to the main thread again (its handler now raises). Without
        our handler in place there is nobody to cancel: the signal is dropped, not turned into
        the default action (SIGTERM's would kill the process without its cleanups)."""
        if self._installed and signal.getsignal(signum) == self.handle_signal:
            ident = threading.main_thread().ident
            if ident is not None:
                with self._lock:
                    self._handed = f"signal {signum} (held during {what})"
                signal.pthread_kill(ident, signum)

    def handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        """The SIGINT/SIGTERM handler: raise KeyboardInterrupt, or hold it while shielded."""
        with self._lock:
            self._cancelled = True
            if self._shield_depth > 0:
                self._deferred = signum
                return
            reason, self._handed = self._handed or f"signal {signum}", ""
        raise KeyboardInterrupt(reason)

    @property
    def cancelled(self) -> bool:
        """A SIGINT or SIGTERM arrived: the run is being cancelled (a cleanup may want to know,
        e.g. to report what it left)."""
        with self._lock:
            return self._cancelled

    @contextmanager
    def signals(self) -> Iterator[None]:
        """Route SIGINT and SIGTERM to :meth:`handle_signal` (main thread only), then restore."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            sig: signal.signal(sig, self.handle_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        self._installed = True
        try:
            yield
        finally:
            self._installed = False
            for sig, handler in previous.items():
                signal.signal(sig, handler)


__all__ = ["Cleanup"]
