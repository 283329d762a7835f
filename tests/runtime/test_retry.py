"""One retry policy and clock: backoff, Retry-After, deadline, giving up."""

from __future__ import annotations

import pytest

from shipyard.runtime import FakeClock, Retryable, RetryPolicy, retry_call


class Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1, factor=2, max_delay=5, jitter=0)
    assert [policy.delay(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_jitter_stays_in_its_band() -> None:
    policy = RetryPolicy(base_delay=10, jitter=0.1)
    for _ in range(50):
        assert 9 <= policy.delay(1) <= 11


def test_old_names_are_accepted() -> None:
    policy = RetryPolicy(attempts=2, backoff=0.5, max_backoff=3)
    assert (policy.base_delay, policy.max_delay) == (0.5, 3)


def test_retries_then_succeeds_with_logged_waits() -> None:
    clock = FakeClock()
    log: list[str] = []
    fn = Flaky([Retryable("busy"), Retryable("slow down", after=7)])
    result = retry_call(
        fn, policy=RetryPolicy(jitter=0), clock=clock, log=log.append, what="POST /x"
    )
    assert result == "ok" and fn.calls == 3
    assert clock.sleeps == [1.0, 7.0]
    assert log[0] == "POST /x: busy; retrying in 1.0s (attempt 2 of 4)"
    assert "slow down; retrying in 7.0s (attempt 3 of 4)" in log[1]


def test_not_retryable_is_raised_at_once() -> None:
    fn = Flaky([KeyError("x")])
    with pytest.raises(KeyError):
        retry_call(fn, policy=RetryPolicy(), clock=FakeClock())
    assert fn.calls == 1


def test_custom_retry_on_and_exhaustion_reraises_the_last_error() -> None:
    clock = FakeClock()
    fn = Flaky([ConnectionError("1"), ConnectionError("2"), ConnectionError("3")])
    with pytest.raises(ConnectionError, match="3"):
        retry_call(
            fn,
            policy=RetryPolicy(attempts=3, jitter=0),
            clock=clock,
            retry_on=lambda exc: isinstance(exc, ConnectionError),
        )
    assert fn.calls == 3 and clock.sleeps == [1.0, 2.0]


def test_deadline_stops_before_a_wait_that_would_pass_it() -> None:
    clock = FakeClock()
    fn = Flaky([Retryable("a"), Retryable("b", after=100)])
    with pytest.raises(Retryable, match="b"):
        retry_call(fn, policy=RetryPolicy(jitter=0, deadline=50), clock=clock)
    assert clock.sleeps == [1.0]
