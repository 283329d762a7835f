"""The edges of the deploy's batches and watch (issue 24), on the in-memory fleet: failures
counted across batches against max-failures (at it and one past it), batch-wait only between
batches, the watch's checks and pauses, and what a host put back says."""

from __future__ import annotations

import io

from shipyard.deploy import strategies
from shipyard.deploy.deploy import Deploy
from shipyard.deploy.fleet import Fleet
from shipyard.deploy.lock import DeployLock
from shipyard.deploy.releases import LockHolder
from shipyard.deploy.targets import parse_targets
from shipyard.runtime import Cleanup, Runner
from tests.deploy.memory_fleet import MemoryFleet, no_env
from tests.deploy.orchestra import NEW, OLD, CancellingClock, run, settings

HOSTS = ["web1", "web2", "web3", "web4"]
WATCH = {"monitor": "3s", "monitor-interval": "1s"}


def fleet_with(hosts: list[str] = HOSTS) -> MemoryFleet:
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        sim.deployed(OLD)
    return sims


def test_failures_add_up_across_batches_up_to_max_failures() -> None:
    sims = fleet_with()
    sims.fail("web1", "check")
    sims.fail("web3", "check")
    done = run(sims, settings(HOSTS, **{"batch-size": "1", "max-failures": "2"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert [h.state.status for h in done.hosts] == [
        "rolled-back", "deployed", "rolled-back", "deployed",
    ]  # fmt: skip


def test_one_failure_past_max_failures_in_a_later_batch_puts_every_switched_host_back() -> None:
    sims = fleet_with()
    sims.fail("web1", "check")
    sims.fail("web3", "check")
    done = run(sims, settings(HOSTS, **{"batch-size": "1", "max-failures": "1"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert [h.state.status for h in done.hosts] == [
        "rolled-back", "rolled-back", "rolled-back", "untouched",
    ]  # fmt: skip
    assert done.result.story[4] == (
        "2 host(s) failed (max-failures 1): rolling back every host already switched"
    )
    assert done.result.story[5] == f"web2: put {OLD} back, removed the new containers"
    assert done.steps("web2")[-4:] == ["record", "prune-images", "rollback", "record"]
    assert sims.hosts["web4"].ran == ["lock", "unlock"]
    assert all(sims.hosts[h].serving == OLD for h in HOSTS)


def test_past_max_failures_the_good_hosts_of_the_batch_are_put_back_too() -> None:
    sims = fleet_with(["web1", "web2", "web3"])
    sims.fail("web2", "switch")
    done = run(sims, settings(["web1", "web2", "web3"], **{"batch-size": "3"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert [h.state.status for h in done.hosts] == ["rolled-back"] * 3
    assert [s.split(":")[0] for s in done.result.story] == [
        "web2", "web2", "1 host(s) failed (max-failures 0)", "web1", "web3",
    ]  # fmt: skip
    assert "finish" not in done.log
    for name in ("web1", "web3"):
        assert done.steps(name)[-2:] == ["rollback", "record"]
        assert "stop-old" not in done.steps(name)


def test_a_revert_that_fails_when_putting_every_host_back_fails_the_run() -> None:
    sims = fleet_with(["web1", "web2"])
    sims.fail("web2", "check")
    sims.fail("web1", "rollback")
    sims.fail("web1", "rollback-2")
    done = run(sims, settings(["web1", "web2"], **{"batch-size": "1"}))
    assert done.result is not None and done.result.status == "failed", done.log
    assert [h.state.status for h in done.hosts] == ["failed", "rolled-back"]


def test_batch_wait_comes_between_batches_only() -> None:
    sims = fleet_with()
    done = run(sims, settings(HOSTS, **{"batch-size": "2", "batch-wait": "10s"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert sims.clock.sleeps == [10.0]
    sims = fleet_with()
    done = run(sims, settings(HOSTS, **{"batch-size": "1"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert sims.clock.sleeps == []


def test_each_batch_is_watched_then_finished_before_the_next_starts() -> None:
    sims = fleet_with(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **WATCH, **{"batch-size": "1"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    order = [(h, s) for h, s, _t in sims.calls if s not in ("lock", "unlock")]
    assert order.index(("web1", "prune-images")) < order.index(("web2", "pull"))
    assert [s for h, s in order if h == "web1"][-6:] == [
        "watch-1", "watch-2", "watch-3", "stop-old", "record", "prune-images",
    ]  # fmt: skip
    assert sims.clock.sleeps == [1.0] * 6
    assert "== web1: watch\n--- watch-1: exit 0" in done.log


def test_the_watch_makes_monitor_over_interval_checks_rounded_up() -> None:
    sims = fleet_with(["web1"])
    done = run(sims, settings(["web1"], monitor="5s", **{"monitor-interval": "2s"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert [n for n in done.steps("web1") if n.startswith("watch")] == [
        "watch-1", "watch-2", "watch-3",
    ]  # fmt: skip
    assert sims.clock.sleeps == [2.0, 2.0, 2.0]


def test_a_host_that_turns_unhealthy_at_the_last_check_is_put_back() -> None:
    sims = fleet_with(["web1"])
    sims.fail("web1", "watch-3")
    done = run(sims, settings(["web1"], **WATCH))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.story[0] == (
        "web1: unhealthy during the watch (check 3): watch-3 failed (exit 1): injected failure"
    )
    assert sims.hosts["web1"].serving == OLD


def test_a_watch_without_an_access_log_checks_health_only() -> None:
    sims = fleet_with(["web1"])
    sims.hosts["web1"].requests = (10, 10)  # not read: no proxy-access-log
    done = run(sims, settings(["web1"], **WATCH))
    assert done.result is not None and done.result.status == "deployed", done.log


def test_the_error_rate_is_checked_at_each_check() -> None:
    sims = fleet_with(["web1", "web2"])

    def worsen(host: str, step: str) -> None:
        if (host, step) == ("web2", "watch-2"):
            sims.hosts["web2"].requests = (50, 26)

    for sim in sims.hosts.values():
        sim.requests = (50, 0)
    sims.on_step = worsen
    extra = {**WATCH, "proxy-access-log": "/var/log/a.log", "max-error-rate": "50"}
    done = run(sims, settings(["web1", "web2"], **extra))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.story[0] == (
        "web2: error rate 52.0% (26/50 answers) is over max-error-rate 50%"
    )
    assert done.steps("web1")[-3:] == ["watch-2", "rollback", "record"]


def test_what_a_host_put_back_says() -> None:
    sims = MemoryFleet(["web1", "web2"])
    sims.hosts["web2"].deployed(OLD)
    sims.fail("web1", "check")
    sims.fail("web2", "pull")
    done = run(sims, settings(["web1", "web2"], **{"max-failures": "1"}))
    assert done.result is not None, done.log
    story = "\n".join(done.result.story)
    assert "web1: put nothing (first deploy) back, removed the new containers" in story
    assert f"web2: put {OLD} back\n" in story + "\n"
    assert sims.hosts["web1"].running_of(NEW) == []


def test_a_lock_release_that_breaks_is_a_warning_naming_it() -> None:
    sims = fleet_with(["web1"])

    def broken(host: str, step: str) -> None:
        if step == "unlock":
            raise OSError("the link broke")

    sims.on_step = broken
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert "Cleanup 'release the deploy locks' failed: OSError: the link broke" in done.log


def test_past_max_failures_every_batch_finished_before_is_put_back() -> None:
    sims = fleet_with(["web1", "web2", "web3"])
    sims.fail("web3", "check")
    done = run(sims, settings(["web1", "web2", "web3"], **{"batch-size": "1"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert [h.state.status for h in done.hosts] == ["rolled-back"] * 3
    assert all(sim.serving == OLD for sim in sims.hosts.values())


def test_batch_wait_of_one_second_is_waited() -> None:
    sims = fleet_with(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **{"batch-size": "1", "batch-wait": "1s"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert sims.clock.sleeps == [1.0]


def test_the_result_names_the_release_and_the_one_before_whatever_the_outcome() -> None:
    sims = fleet_with(["web1"])
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert (done.result.release, done.result.previous) == (NEW, OLD)
    assert done.result.plan[0] == f"Release {NEW}: reg/api:2"
    first = run(MemoryFleet(["web1"]), settings(["web1"]))
    assert first.result is not None and first.result.previous == "", first.log
    dry = run(fleet_with(["web1"]), settings(["web1"], **{"dry-run": "true"}))
    assert dry.result is not None and dry.result.status == "planned", dry.log
    assert (dry.result.release, dry.result.previous) == (NEW, OLD)


def test_a_host_that_fails_to_prepare_fails_the_run_with_its_plan() -> None:
    sims = fleet_with(["web1", "web2"])
    sims.fail("web2", "lock", code=1, output="mkdir: cannot create directory")
    done = run(sims, settings(["web1", "web2"]))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.result.previous == OLD
    assert done.result.plan[0] == f"Release {NEW}: reg/api:2"
    assert done.result.story == ["web2: lock failed (exit 1): mkdir: cannot create directory"]
    assert all(sim.serving == OLD for sim in sims.hosts.values())


def test_each_phase_of_a_host_is_one_group() -> None:
    sims = fleet_with(["web1", "web2"])
    sims.fail("web2", "watch-1")
    done = run(sims, settings(["web1", "web2"], **WATCH, **{"batch-size": "1"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    for group in ("web1: roll out", "web1: watch", "web1: finish", "web1: rollback",
                  "web2: roll out", "web2: watch", "web2: rollback"):  # fmt: skip
        assert f"\n== {group}\n---" in done.log


def test_a_rollback_not_recorded_is_in_the_story() -> None:
    sims = fleet_with(["web1"])
    sims.fail("web1", "check")
    sims.fail("web1", "record")
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.story[2] == (
        "web1: rolled back, but the result was not recorded on the host: "
        "record failed (exit 1): injected failure"
    )


def test_a_retried_revert_says_so_in_the_hosts_output() -> None:
    sims = fleet_with(["web1"])
    sims.fail("web1", "check")
    sims.fail("web1", "rollback")
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert "--- rollback: rollback failed (exit 1): injected failure; retrying in 2.0s" in done.log


def test_a_cleanup_that_breaks_while_putting_hosts_back_is_a_warning_naming_it() -> None:
    sims = fleet_with(["web1"])

    def broken(host: str, step: str) -> None:
        if step in ("stop-steps", "rollback"):
            raise OSError("the link broke")

    sims.on_step = broken
    done = run(sims, settings(["web1"], **WATCH), clock=CancellingClock(1.0))
    assert done.cancelled, done.log
    assert (
        "Cleanup 'put the old release back on unfinished hosts' failed: OSError: the link broke"
        in done.log
    )


def test_a_host_untouched_or_already_rolled_back_is_not_reverted() -> None:
    """Deploy.revert runs nothing on a host the run never changed or already put back."""
    sims = fleet_with(["web1"])
    s = settings(["web1"])
    runner = Runner(env=no_env(), stream=io.StringIO())
    cleanup = Cleanup(warn=lambda message: None)
    renderer = strategies.renderer_for(s, NEW, "", "")
    fleet = Fleet(parse_targets(s.hosts, s.user), sims, renderer, runner, cleanup,
                  command_timeout=s.command_timeout)  # fmt: skip
    holder = LockHolder.new("", "", 0, s.lock_ttl, NEW)
    lock = DeployLock(fleet, holder, app=s.app, wait=s.lock_wait, compose=False,
                      clock=sims.clock, wall=sims.clock.now)  # fmt: skip
    deployment = strategies.Deployment(s, renderer, {}, None, sims.clock.now)
    deploy = Deploy(s, fleet, lock, strategies.strategy_for(deployment), cleanup, sims.clock)
    fleet.connect()
    deploy.revert("web1")
    fleet.mark("web1", status="rolled-back")
    deploy.revert("web1")
    assert sims.hosts["web1"].ran == [] and deploy.story == []
    fleet.mark("web1", status="working")
    deploy.revert("web1")
    assert sims.hosts["web1"].ran == ["rollback", "record"]
