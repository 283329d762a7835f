"""A cancel at every phase of a deploy, on the in-memory fleet: a real SIGTERM to the main
thread while a step runs on a host (handled by the runtime's cleanup, as on a runner), or a
cancel in the middle of a pause. Whatever the phase: the step running on the host is stopped
there, every host left half done gets the old release back, finished hosts keep the new one,
later batches are untouched, and every lock is released."""

from __future__ import annotations

import pytest

from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import NEW, OLD, CancellingClock, run, settings

FULL = {
    "pre-deploy": "./backup", "migrate-command": "./migrate", "post-deploy": "true",
    "smoke-command": "true", "monitor": "2s", "monitor-interval": "1s",
    "proxy-access-log": "/var/log/nginx/api.log",
}  # fmt: skip
STEPS = [
    "pull", "pre-deploy", "migrate", "start", "check", "switch", "post-deploy", "smoke",
    "log-size", "watch-1", "watch-2", "stop-old", "record",
]  # fmt: skip


def fleet_with(hosts: list[str]) -> MemoryFleet:
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        sim.deployed(OLD)
    return sims


@pytest.mark.parametrize("step", STEPS)
def test_cancel_at_each_step_of_a_host_puts_the_old_release_back(step: str) -> None:
    sims = fleet_with(["web1"])
    sims.cancel_at("web1", step)
    done = run(sims, settings(["web1"], **FULL))
    assert done.cancelled, done.log
    sim = sims.hosts["web1"]
    assert sim.stopped, "the step running on the host was not stopped there"
    assert sim.serving == OLD and sim.current == OLD
    assert sim.running_of(NEW) == [] and sim.running_of(OLD) == [f"api-{OLD}-1"]
    assert sim.events() == ["deployed", "rolled-back"]
    assert sim.lock is None
    assert done.steps("web1")[-2:] == ["rollback", "record"]
    assert "== web1: rollback after cancel" in done.log


def test_cancel_while_the_lock_is_taken_changes_nothing() -> None:
    sims = fleet_with(["web1"])
    sims.cancel_at("web1", "lock")
    done = run(sims, settings(["web1"]))
    assert done.cancelled, done.log
    sim = sims.hosts["web1"]
    assert sim.serving == OLD and sim.events() == ["deployed"] and sim.lock is None


@pytest.mark.parametrize(
    ("step", "other"),
    [("pull", "migrate"), ("switch", "check"), ("smoke", "pre-deploy"),
     ("watch-1", "watch-1"), ("record", "stop-old")],
)  # fmt: skip
def test_cancel_in_a_two_host_batch_stops_both_puts_both_back_and_leaves_the_next_batch(
    step: str, other: str
) -> None:
    """The hosts of a batch are worked by threads: the cancel reaches the main thread, which
    stops the steps still running on the batch's hosts (``other`` on web2, a long one, is
    ended there too), starts no further step, then puts both back."""
    sims = fleet_with(["web1", "web2", "web3"])
    sims.cancel_at("web1", step, after=sims.hold("web2", other))
    done = run(sims, settings(["web1", "web2", "web3"], **{"batch-size": "2"}, **FULL))
    assert done.cancelled, done.log
    for name in ("web1", "web2"):
        sim = sims.hosts[name]
        assert sim.stopped, f"{name}: its running step was not stopped on the host"
        assert sim.serving == OLD and sim.running_of(NEW) == [], name
        assert sim.events() == ["deployed", "rolled-back"], name
        assert sim.lock is None, name
    assert sims.hosts["web3"].ran == ["lock", "unlock"]
    assert sims.hosts["web3"].events() == ["deployed"]


def test_cancel_during_batch_wait_keeps_the_finished_host_and_touches_no_other() -> None:
    sims = fleet_with(["web1", "web2", "web3"])
    clock = CancellingClock(600.0)
    sims.clock = clock
    done = run(sims, settings(["web1", "web2", "web3"], **{"batch-size": "1", "batch-wait": "10m"}))
    assert done.cancelled, done.log
    assert [sims.hosts[n].serving for n in ("web1", "web2", "web3")] == [NEW, OLD, OLD]
    assert sims.hosts["web1"].events() == ["deployed", "deployed"]
    for name in ("web2", "web3"):
        assert sims.hosts[name].ran == ["lock", "unlock"]
    assert all(sim.lock is None for sim in sims.hosts.values())


def test_cancel_during_a_pause_of_the_watch_puts_the_batch_back() -> None:
    sims = fleet_with(["web1", "web2"])
    clock = CancellingClock(1.0, nth=2)
    sims.clock = clock
    done = run(sims, settings(["web1", "web2"], monitor="5s", **{"monitor-interval": "1s"}))
    assert done.cancelled, done.log
    for sim in sims.hosts.values():
        assert sim.serving == OLD and sim.events() == ["deployed", "rolled-back"]
        assert sim.ran[-3:] == ["rollback", "record", "unlock"]
    assert clock.sleeps == [1.0]
