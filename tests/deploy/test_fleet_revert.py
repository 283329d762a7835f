"""Putting hosts back, on the in-memory fleet: every host that needs it at once (a cancel has
about 10 s on GitHub's runners before the job is killed), the drain only where the new release
took traffic, and the outputs after a cancel."""

from __future__ import annotations

import json
import threading

from shipyard.deploy import container_steps as ct
from shipyard.deploy import report
from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import NEW, OLD, CancellingClock, run, settings

HOSTS = ["web1", "web2", "web3", "web4"]
WATCH = {"monitor": "5s", "monitor-interval": "1s"}


def fleet_with(hosts: list[str] = HOSTS) -> MemoryFleet:
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        sim.deployed(OLD)
    return sims


def _together(sims: MemoryFleet, step: str, hosts: int) -> list[str]:
    """Make ``step`` wait on each host until it runs on ``hosts`` hosts at once (a barrier:
    hosts worked one at a time never meet); the hosts that waited in vain."""
    barrier = threading.Barrier(hosts, timeout=5)
    alone: list[str] = []

    def meet(host: str, name: str) -> None:
        if name == step:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                alone.append(host)

    sims.on_step = meet
    return alone


def test_a_cancel_puts_every_host_back_at_once() -> None:
    """Cancelled during the watch of four hosts: the four reverts run side by side, not one
    after the other (each within its own shielded section: the runtime's is thread-safe)."""
    sims = fleet_with()
    alone = _together(sims, "rollback", len(HOSTS))
    done = run(sims, settings(HOSTS, **WATCH), clock=CancellingClock(1.0, nth=2))
    assert done.cancelled, done.log
    assert alone == [], "hosts were put back one at a time"
    for sim in sims.hosts.values():
        assert sim.serving == OLD and sim.running_of(NEW) == []
        assert sim.ran[-3:] == ["rollback", "record", "unlock"]
        assert sim.lock is None


def test_hosts_that_failed_the_watch_are_put_back_at_once_and_told_in_host_order() -> None:
    sims = fleet_with()

    def sicken(host: str, step: str) -> None:
        if step == "watch-2" and host in ("web2", "web4"):
            sims.hosts[host].sick.add(NEW)

    alone = _together(sims, "rollback", 2)
    meet = sims.on_step
    assert meet is not None
    sims.on_step = lambda host, step: (sicken(host, step), meet(host, step))[-1]
    done = run(sims, settings(HOSTS, **WATCH, **{"max-failures": "2"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert alone == []
    assert [h.state.status for h in done.hosts] == ["deployed", "rolled-back"] * 2
    story = done.result.story
    assert [line.split(":")[0] for line in story] == ["web2", "web4", "web2", "web4"]
    assert story[2] == f"web2: put {OLD} back, removed the new containers"


def test_the_revert_drains_only_where_the_new_release_took_traffic() -> None:
    """After the switch the old release is put back, then nginx's workers of before that
    switch finish their requests to the new one (up to drain-timeout) before it is removed;
    a release that failed its check before the switch took no traffic: nothing to drain."""
    sims = fleet_with(["web1", "web2"])
    sims.hosts["web2"].sick.add(NEW)  # fails its check: never switched to
    sims.fail("web1", "smoke")  # fails after its switch
    done = run(sims, settings(["web1", "web2"], **{"smoke-command": "true", "drain-timeout": "7s"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    reverts = {
        h.name: next(r.step for r in h.log if isinstance(r.step, ct.Revert)) for h in done.hosts
    }
    assert reverts["web1"].drain == 7.0 and "drain 70\n" in reverts["web1"].script()
    assert reverts["web2"].drain == 0.0 and "drain " not in reverts["web2"].body()


def test_after_a_cancel_the_outputs_say_what_each_host_was_left_with() -> None:
    sims = fleet_with(["web1", "web2", "web3"])
    clock = CancellingClock(600.0)
    sims.clock = clock
    done = run(sims, settings(["web1", "web2", "web3"], **{"batch-size": "2", "batch-wait": "10m"}))
    assert done.cancelled and done.left is not None, done.log
    outputs = report.outputs(done.left, None)
    # The first batch finished (it keeps the new release): not every host was put back.
    assert outputs["status"] == "failed"
    assert outputs["release"] == NEW and outputs["previous-release"] == OLD
    hosts = json.loads(outputs["hosts"])
    assert [(h["host"], h["result"]) for h in hosts] == [
        ("web1", "deployed"), ("web2", "deployed"), ("web3", "untouched"),
    ]  # fmt: skip
    assert "the deploy was cancelled" in done.left.story


def test_after_a_cancel_mid_watch_the_status_is_rolled_back() -> None:
    sims = fleet_with(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **WATCH), clock=CancellingClock(1.0, nth=2))
    assert done.cancelled and done.left is not None, done.log
    outputs = report.outputs(done.left, None)
    assert outputs["status"] == "rolled-back"
    results = [h["result"] for h in json.loads(outputs["hosts"])]
    assert results == ["rolled-back", "rolled-back"]
