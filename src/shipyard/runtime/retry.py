"""One retry policy and one clock for every retry loop (HTTP, SMTP, GitHub, CLI tools).

``retry_call(fn, policy=..., retry_on=...)`` calls ``fn`` until it returns, the error is not
retryable, the attempts are spent or the deadline would be passed; then the last error is
re-raised. Tests pass a :class:`FakeClock`, whose time moves only when something sleeps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    """Time as retry loops and waits see it."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (nothing for zero or less)."""


class SystemClock:
    """The real clock: monotonic time, real sleeps."""

    def now(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep``, for a positive time only."""
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


class FakeClock:
    """A clock for tests: ``now`` advances only when ``sleep`` is called; sleeps are recorded."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        """The fake time: moved only by :meth:`sleep`."""
        return self.time

    def sleep(self, seconds: float) -> None:
        """Record the wait and move the fake time on, without waiting."""
        self.sleeps.append(seconds)
        self.time += max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try and how long to wait in between.

    ``delay(n)`` is the wait before retry ``n`` (1 = the first retry): ``base_delay * factor **
    (n - 1)``, capped at ``max_delay``, with +-``jitter`` (a fraction). ``deadline`` (seconds
    from the first attempt) bounds the whole loop. ``max_retry_after`` is the longest wait a
    server may ask for (Retry-After) before the caller gives up. ``backoff``/``max_backoff``
    are the old names of ``base_delay``/``max_delay`` (runtime 1), still accepted.
    """

    attempts: int = 4
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1
    deadline: float | None = None
    max_retry_after: float = 120.0
    backoff: InitVar[float | None] = None
    max_backoff: InitVar[float | None] = None
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self, backoff: float | None, max_backoff: float | None) -> None:
        if backoff is not None:
            object.__setattr__(self, "base_delay", backoff)
        if max_backoff is not None:
            object.__setattr__(self, "max_delay", max_backoff)
        if self.attempts < 1:
            object.__setattr__(self, "attempts", 1)

    def delay(self, attempt: int) -> float:
        """The wait before retry ``attempt`` (1 = first retry), with jitter."""
        base = min(self.max_delay, self.base_delay * self.factor ** max(0, attempt - 1))
        if not self.jitter:
            return base
        return max(0.0, base * (1 + self._rng.uniform(-self.jitter, self.jitter)))


class Retryable(Exception):
    """Raise from a retried function to ask for a retry (after ``after`` seconds if given)."""

    def __init__(self, reason: str, *, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


def retry_retryable(exc: BaseException) -> float | bool:
    """The default ``retry_on``: retry :class:`Retryable` (honouring its ``after``) only."""
    if isinstance(exc, Retryable):
        return exc.after if exc.after is not None else True
    return False


def retry_call(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    clock: Clock = SYSTEM_CLOCK,
    retry_on: Callable[[BaseException], float | bool | None] = retry_retryable,
    log: Callable[[str], None] | None = None,
    what: str = "",
) -> T:
    """Call ``fn`` with retries. ``retry_on(exc)`` says False/None (give up), True (wait the
    policy's delay) or a number of seconds (e.g. Retry-After). Past the attempts or the
    deadline the last error is re-raised."""
    start = clock.now()
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as exc:
            verdict = retry_on(exc)
            if verdict is None or verdict is False or attempt >= policy.attempts:
                raise
            wait = policy.delay(attempt) if verdict is True else max(0.0, float(verdict))
            if policy.deadline is not None and clock.now() - start + wait > policy.deadline:
                raise
            if log is not None:
                reason = exc.reason if isinstance(exc, Retryable) else _describe(exc)
                log(
                    f"{what or 'call'}: {reason}; retrying in {wait:.1f}s "
                    f"(attempt {attempt + 1} of {policy.attempts})"
                )
            clock.sleep(wait)
            attempt += 1


def _describe(exc: BaseException) -> str:
    return type(exc).__name__


__all__ = [
    "SYSTEM_CLOCK",
    "Clock",
    "FakeClock",
    "RetryPolicy",
    "Retryable",
    "SystemClock",
    "retry_call",
    "retry_retryable",
]
