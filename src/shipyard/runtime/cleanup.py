"""A stack of cleanups that runs on success, failure, SIGINT and SIGTERM, and shielded sections.

Composite actions have no ``post:`` step, so whatever an action must undo (a secret file, a
builder, a half-switched deployment) is pushed on ``ctx.cleanup``; ``run_action`` runs the
stack once whatever happens. A :meth:`Cleanup.shielded` block is not cut by a cancel: a
SIGINT/SIGTERM that arrives inside it is held until the block ends, then raised as
``KeyboardInterrupt``.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


class Cleanup:
    """LIFO cleanups; signal handling that respects shielded sections."""

    def __init__(self, warn: Callable[[str], None] | None = None) -> None:
        self._stack: list[tuple[Callable[[], object], str]] = []
        self._warn = warn or (lambda _message: None)
        self._shield_depth = 0
        self._deferred: int | None = None

    def __len__(self) -> int:
        return len(self._stack)

    def push(self, fn: Callable[[], object], what: str) -> None:
        """Run ``fn`` at the end (last pushed, first run); ``what`` names it in warnings."""
        self._stack.append((fn, what))

    def run_all(self) -> None:
        """Run every cleanup once, newest first. A failing cleanup is a warning, never an error;
        a cancel that arrives meanwhile waits until all have run."""
        self._shield_depth += 1
        try:
            while self._stack:
                fn, what = self._stack.pop()
                try:
                    fn()
                except Exception as exc:
                    self._warn(f"Cleanup '{what}' failed: {type(exc).__name__}: {exc}")
        finally:
            self._shield_depth -= 1

    @contextmanager
    def shielded(self, what: str) -> Iterator[None]:
        """A block that a SIGINT/SIGTERM does not interrupt: the signal is held and raised as
        KeyboardInterrupt when the (outermost) block ends."""
        self._shield_depth += 1
        try:
            yield
        finally:
            self._shield_depth -= 1
        if self._shield_depth == 0 and self._deferred is not None:
            signum, self._deferred = self._deferred, None
            raise KeyboardInterrupt(f"signal {signum} (held during {what})")

    def handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        """The SIGINT/SIGTERM handler: raise KeyboardInterrupt, or hold it while shielded."""
        if self._shield_depth > 0:
            self._deferred = signum
            return
        raise KeyboardInterrupt(f"signal {signum}")

    @contextmanager
    def signals(self) -> Iterator[None]:
        """Route SIGINT and SIGTERM to :meth:`handle_signal` (main thread only), then restore."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            sig: signal.signal(sig, self.handle_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


__all__ = ["Cleanup"]
