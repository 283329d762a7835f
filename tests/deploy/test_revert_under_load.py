"""Every way a release is taken back, under load (OpenSSH, dockerd, nginx, the registry): slow
requests (``/cgi-bin/slow``, 1.5 s each) and fast ones in flight all the time, and every answer
counted. The old release answers before traffic moves back, nginx's workers of before that
switch finish their requests to the release being taken back (within drain-timeout) before its
containers go: no request fails, and slow requests the taken-back release had accepted are
still answered by it after traffic has moved. The paths: the watch's error rate, a health check
that fails after the switch, ``mode: rollback``, and a cancel."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tests.action_run import ActionRun
from tests.deploy.conftest import App
from tests.services._common import wait_until
from tests.services.loadgen import LoadGenerator, LoadResult, fetch

T = TypeVar("T")
FAST, SLOW = "/", "/cgi-bin/slow?1.5"
PATHS = [FAST, SLOW]  # thread by thread: three of each
#: drain-timeout well over a slow request; the health check that counts its answers (v4 turns
#: sick after 4), as every version serves it.
CAREFUL = {"drain-timeout": "10s", "health-path": "/cgi-bin/health"}
WATCH = {"monitor": "60s", "monitor-interval": "1s"}


def under_load(app: App, action: Callable[[LoadGenerator], T]) -> tuple[T, LoadResult]:
    """``action`` while six threads send fast and slow requests through the host's nginx; the
    load goes on until more answers came after it."""
    with LoadGenerator(
        app.url, threads=6, paths=PATHS, max_requests=200_000, max_seconds=300
    ) as load:
        assert load.wait_for(30)
        outcome = action(load)
        assert load.wait_for(load.count() + 60)
    return outcome, load.result


def assert_nothing_dropped(result: LoadResult, taken_back: str, serving: str) -> None:
    """No failed request; the release taken back answered slow requests, some of them after
    the first answer of the release put back (in flight at the revert, drained, not cut)."""
    assert result.failed == 0, (result.failed_by_path, result.errors)
    assert result.answered[(SLOW, taken_back)] > 0, result.answered
    assert result.answered[(SLOW, serving)] > 0 and result.answered[(FAST, serving)] > 0
    back = next(
        i
        for i, answer in enumerate(result.answers)
        if answer == serving and taken_back in result.answers[:i]
    )
    assert taken_back in result.answers[back:], "no request in flight at the revert"
    assert result.answers[-1] == serving


@contextmanager
def errors_while(app: App, release: str, load: LoadGenerator) -> Iterator[None]:
    """Once ``release`` answers, requests to the app's /cgi-bin/error (500) every 0.2 s (not
    counted by the load): the watch's error rate goes up."""
    stop = threading.Event()

    def send() -> None:
        wait_until(lambda: stop.is_set() or load.seen(FAST, release), 120, 0.05)
        while not stop.wait(0.2):
            fetch(app.url + "cgi-bin/error")

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        yield
    finally:
        stop.set()
        sender.join(30)


def test_the_watchs_error_rate_rolls_back_without_a_failed_request(app: App) -> None:
    assert app.deploy("v1", CAREFUL).code == 0
    log = {"proxy-access-log": f"~/nginx/{app.name}.access.log", "max-error-rate": "0"}

    def deploy(load: LoadGenerator) -> ActionRun:
        with errors_while(app, "v2", load):
            return app.deploy("v2", {**CAREFUL, **WATCH, **log})

    bad, result = under_load(app, deploy)
    assert bad.code == 1, bad.log
    assert_nothing_dropped(result, "v2", "v1")
    (host,) = json.loads(bad.outputs["hosts"])
    assert host["result"] == "rolled-back" and "over max-error-rate 0%" in host["error"]
    assert "@@shipyard drained" in bad.log


def test_a_health_check_failing_after_the_switch_rolls_back_without_a_failed_request(
    app: App,
) -> None:
    """v4's health check answers 200 four times (the check before the switch, then three of
    the watch), then 503: the fourth check of the watch fails, the next step puts v1 back."""
    assert app.deploy("v1", CAREFUL).code == 0
    bad, result = under_load(app, lambda _load: app.deploy("v4", {**CAREFUL, **WATCH}))
    assert bad.code == 1, bad.log
    assert_nothing_dropped(result, "v4", "v1")
    (host,) = json.loads(bad.outputs["hosts"])
    assert host["result"] == "rolled-back"
    assert "unhealthy during the watch (check 4)" in host["error"]


def test_mode_rollback_takes_the_release_back_without_a_failed_request(app: App) -> None:
    one = app.deploy("v1", CAREFUL)
    assert one.code == 0 and app.deploy("v2", CAREFUL).code == 0
    back, result = under_load(app, lambda _load: app.deploy("v2", {**CAREFUL, "mode": "rollback"}))
    assert back.code == 0, back.log
    assert_nothing_dropped(result, "v2", "v1")
    assert back.outputs["status"] == "rolled-back"
    assert back.outputs["release"] == one.outputs["release"]
    assert "@@shipyard drained" in back.log


def test_a_cancel_during_the_watch_takes_the_release_back_without_a_failed_request(
    app: App,
) -> None:
    """SIGINT (what the runner sends first) once slow requests are answered by v2 during its
    watch: v1 is put back, nothing is dropped, and the outputs are set."""
    assert app.deploy("v1", CAREFUL).code == 0

    def cancel(load: LoadGenerator) -> tuple[int, str]:
        process = app.start_process("v2", {**CAREFUL, **WATCH, "monitor": "120s"})
        try:
            assert wait_until(lambda: load.seen(SLOW, "v2"), 120, 0.05), "v2 never served"
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=180)
        finally:
            if process.poll() is None:
                process.kill()
        return process.returncode, output

    (code, output), result = under_load(app, cancel)
    assert code == 1, output
    assert "cancelled" in output
    assert_nothing_dropped(result, "v2", "v1")
    outputs = app.process_outputs()
    assert outputs["status"] == "rolled-back", output
    (host,) = json.loads(outputs["hosts"])
    assert host["result"] == "rolled-back"
