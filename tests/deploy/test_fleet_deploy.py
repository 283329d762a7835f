"""The deploy's orchestration on the in-memory fleet (no sshd, dockerd or nginx; milliseconds):
strategies, the plan, batches and batch-wait, the watch, max-failures, the revert and its
order, the lock. ``memory_fleet.py`` says what the simulated hosts do; the real-host tests
prove the scripts do it."""

from __future__ import annotations

import dataclasses

import pytest

from shipyard.deploy import report
from shipyard.deploy.hosts import HostState
from shipyard.deploy.releases import LockHolder
from shipyard.deploy.targets import Target
from shipyard.runtime import ConfigError, ExternalError
from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import NEW, OLD, planned, ran, run, settings

HOSTS = ["web1", "web2", "web3"]


def fleet_with(release: str = OLD, hosts: list[str] = HOSTS, replicas: int = 1) -> MemoryFleet:
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        sim.deployed(release, replicas)
    return sims


def test_blue_green_on_three_hosts_in_one_batch() -> None:
    sims = fleet_with()
    done = run(sims, settings(HOSTS))
    assert done.result is not None and done.result.status == "deployed", done.log
    for sim in sims.hosts.values():
        assert sim.serving == NEW and sim.current == NEW
        assert sim.running_of(OLD) == [] and sim.running_of(NEW) == [f"api-{NEW}-1"]
        assert sim.lock is None
        assert sim.events() == ["deployed", "deployed"]
        assert sim.ran == [
            "lock",
            "pull",
            "start",
            "check",
            "switch",
            "stop-old",
            "record",
            "prune-images",
            "unlock",
        ]
    assert done.steps("web1") == [
        "connect", "lock", "pull", "start", "check", "switch", "stop-old", "record",
        "prune-images",
    ]  # fmt: skip
    assert [h.state.status for h in done.hosts] == ["deployed"] * 3


CONFIGS = {
    "blue-green": {},
    "first-deploy": {},
    "hooks-and-watch": {
        "pre-deploy": "./backup", "migrate-command": "./migrate", "post-deploy": "true",
        "smoke-command": "true", "monitor": "3s", "monitor-interval": "1s",
        "proxy-access-log": "/var/log/nginx/api.log",
    },
    "recreate": {"strategy": "recreate"},
    "rolling": {"strategy": "rolling", "replicas": "3"},
    "compose": {"compose-file": "compose.yml"},
    "compose-recreate": {"compose-file": "compose.yml", "strategy": "recreate"},
}  # fmt: skip


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_dry_run_plan_is_the_steps_the_run_makes(config: str) -> None:
    """The plan is computed from the strategy's own steps: a dry run says what the run then
    does, step for step (``plan.steps()`` was a hand-kept list that said "finish" where the
    run did ``stop-old`` and ``record``)."""
    sims = MemoryFleet(["web1"])
    if config != "first-deploy":
        sims.hosts["web1"].deployed(OLD, 3 if config == "rolling" else 1)
        if config.startswith("compose"):
            sims.hosts["web1"].containers = {f"api-{OLD.replace('.', '-')}-web-1": [OLD, "running"]}
            sims.hosts["web1"].compose_dirs.add(OLD)
    before = dataclasses.replace(sims.hosts["web1"])
    dry = run(sims, settings(["web1"], **{"dry-run": "true", **CONFIGS[config]}))
    assert dry.result is not None and dry.result.status == "planned", dry.log
    assert sims.hosts["web1"].ran == ["lock", "unlock"]
    assert sims.hosts["web1"].containers == before.containers
    real = run(sims, settings(["web1"], **CONFIGS[config]))
    assert real.result is not None and real.result.status == "deployed", real.log
    assert planned(dry) == ran(real, "web1")
    assert ("stop-old" in planned(dry)) == (config not in ("first-deploy", "rolling"))


def test_batches_run_in_order_with_batch_wait_on_the_clock() -> None:
    sims = fleet_with()
    done = run(sims, settings(HOSTS, **{"batch-size": "2", "batch-wait": "30s"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert sims.clock.sleeps == [30.0]
    order = [(host, step) for host, step, _tag in sims.calls if step != "unlock"]
    last_of_batch_1 = max(order.index((h, "record")) for h in ("web1", "web2"))
    assert order.index(("web3", "pull")) > last_of_batch_1
    assert [line for line in done.result.plan if line.startswith("Batch")] == [
        "Batch 1: web1, web2",
        "Batch 2: web3",
    ]


def test_rolling_goes_host_by_host_and_replica_by_replica() -> None:
    sims = fleet_with(replicas=2)
    done = run(sims, settings(HOSTS, strategy="rolling", replicas="2", **{"batch-wait": "5s"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert sims.clock.sleeps == [5.0, 5.0]
    assert done.steps("web2") == [
        "connect", "lock", "pull", "replica-1", "replica-2", "record", "prune-images",
    ]  # fmt: skip
    for sim in sims.hosts.values():
        assert sim.serving == NEW and sim.running_of(OLD) == []


def test_past_max_failures_every_switched_host_is_put_back_and_later_ones_untouched() -> None:
    sims = fleet_with()
    sims.fail("web2", "check")
    done = run(sims, settings(HOSTS, **{"batch-size": "1"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert [h.state.status for h in done.hosts] == ["rolled-back", "rolled-back", "untouched"]
    assert done.result.story[:3] == [
        "web2: check failed (exit 1): injected failure",
        "web2: put 20260101000000-r1 back, removed the new containers",
        "1 host(s) failed (max-failures 0): rolling back every host already switched",
    ]
    assert done.result.story[3] == "web1: put 20260101000000-r1 back, removed the new containers"
    for name in ("web1", "web2"):
        sim = sims.hosts[name]
        assert sim.serving == OLD and sim.running_of(NEW) == [] and sim.lock is None
        assert sim.events()[-1] == "rolled-back"
    assert sims.hosts["web3"].ran == ["lock", "unlock"]
    assert done.steps("web1")[-4:] == ["record", "prune-images", "rollback", "record"]
    assert isinstance(report.verdict(done.result, "deploy"), Exception)


def test_within_max_failures_the_rollout_goes_on_with_a_warning() -> None:
    sims = fleet_with()
    sims.fail("web2", "pull")
    done = run(sims, settings(HOSTS, **{"batch-size": "1", "max-failures": "1"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert [h.state.status for h in done.hosts] == ["deployed", "rolled-back", "deployed"]
    assert sims.hosts["web2"].serving == OLD
    warning = report.partial_warning(done.result, 1)
    assert "web2 (rolled-back, back on 20260101000000-r1)" in warning


def test_a_failed_revert_is_made_once_more_after_a_pause() -> None:
    sims = fleet_with(hosts=["web1"])
    sims.fail("web1", "check")
    sims.fail("web1", "rollback")
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[-3:] == ["rollback", "rollback-2", "record"]
    assert sims.clock.sleeps == [2.0]
    assert "web1: rollback: rollback failed (exit 1): injected failure; retrying in 2.0s" in (
        "\n".join(done.result.story)
    )
    assert sims.hosts["web1"].serving == OLD


def test_a_revert_that_fails_twice_leaves_the_host_failed() -> None:
    sims = fleet_with(hosts=["web1"])
    sims.fail("web1", "switch")
    sims.fail("web1", "rollback")
    sims.fail("web1", "rollback-2")
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.result.story[2].startswith("web1: rollback FAILED: rollback-2 failed"), (
        done.result.story
    )
    assert isinstance(report.verdict(done.result, "deploy"), ExternalError)


def test_a_rollback_not_recorded_is_a_warning_and_still_rolled_back() -> None:
    sims = fleet_with(hosts=["web1"])
    sims.fail("web1", "smoke")
    sims.fail("web1", "record")
    done = run(sims, settings(["web1"], **{"smoke-command": "false"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert "warning: Rollback not recorded: web1: rolled back, but the result" in done.log
    assert sims.hosts["web1"].serving == OLD


def test_the_watch_checks_each_interval_and_puts_back_a_host_that_turned_unhealthy() -> None:
    sims = fleet_with(hosts=["web1", "web2"])

    def sicken(host: str, step: str) -> None:
        if (host, step) == ("web2", "watch-3"):
            sims.hosts["web2"].sick.add(NEW)

    sims.on_step = sicken
    done = run(sims, settings(["web1", "web2"], monitor="5s", **{"monitor-interval": "1s"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert sims.clock.sleeps == [1.0, 1.0, 1.0]
    assert done.steps("web2")[-5:] == ["watch-1", "watch-2", "watch-3", "rollback", "record"]
    assert done.result.story[0].startswith("web2: unhealthy during the watch (check 3)")
    assert all(sim.serving == OLD for sim in sims.hosts.values())


def test_an_error_rate_over_max_error_rate_puts_the_host_back() -> None:
    sims = fleet_with(hosts=["web1"])
    sims.hosts["web1"].requests = (100, 20)
    extra = {"monitor": "2s", "monitor-interval": "1s", "proxy-access-log": "/var/log/a.log"}
    done = run(sims, settings(["web1"], **extra, **{"max-error-rate": "10"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.story[0] == (
        "web1: error rate 20.0% (20/100 answers) is over max-error-rate 10%"
    )
    assert done.steps("web1")[-4:] == ["log-size", "watch-1", "rollback", "record"]


def test_a_held_lock_is_waited_for_on_the_clock_then_its_holder_named() -> None:
    sims = fleet_with(hosts=["web1"])
    other = LockHolder("other", "https://github.example/o/r/runs/1", "hubot", 0, 1800, "r9")
    sims.hosts["web1"].lock = {"id": "other", "started": sims.clock.now(), "ttl": 1800,
                               "holder": other.to_json()}  # fmt: skip
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "failed", done.log
    assert sims.clock.sleeps == [3.0, 2.0]
    assert sims.hosts["web1"].ran == ["lock", "lock", "lock"]  # not unlocked: not ours
    assert (
        "another deploy holds the lock of api: https://github.example/o/r/runs/1 (by hubot"
        in (done.result.story[0])
    )
    assert sims.hosts["web1"].lock["id"] == "other"
    assert sims.hosts["web1"].serving == OLD


def test_a_lock_released_while_waiting_is_taken() -> None:
    sims = fleet_with(hosts=["web1"])
    holder = LockHolder("other", "", "", 0, 1800, "r9").to_json()
    sims.hosts["web1"].lock = {"id": "other", "started": sims.clock.now(), "ttl": 1800,
                               "holder": holder}  # fmt: skip
    seen: list[str] = []

    def release_on_second_try(host: str, step: str) -> None:
        seen.append(step)
        if seen.count("lock") == 2:
            sims.hosts["web1"].lock = None

    sims.on_step = release_on_second_try
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert sims.clock.sleeps == [3.0]


def test_a_lock_past_its_ttl_is_taken_over_with_a_warning() -> None:
    sims = fleet_with(hosts=["web1"])
    holder = LockHolder("other", "https://github.example/o/r/runs/1", "hubot", 0, 60, "r9")
    sims.hosts["web1"].lock = {"id": "other", "started": sims.clock.now() - 61, "ttl": 60,
                               "holder": holder.to_json()}  # fmt: skip
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert "Stale deploy lock taken over: web1: took over a lock past its TTL, held by" in done.log
    assert sims.hosts["web1"].lock is None


def test_a_host_without_compose_v2_stops_the_run_before_any_change() -> None:
    sims = fleet_with(hosts=["web1", "web2"])
    sims.hosts["web2"].compose_version = "1.29.2"
    done = run(sims, settings(["web1", "web2"], **{"compose-file": "compose.yml"}))
    assert isinstance(done.error, ConfigError), done.log
    assert "web2 has no docker compose v2 for the deploy user (found: 1.29.2)" in str(done.error)
    assert sims.hosts["web1"].ran == ["lock", "unlock"] and sims.hosts["web2"].ran == ["lock"]
    assert all(sim.lock is None and sim.serving == OLD for sim in sims.hosts.values())


def test_recreate_stops_the_old_release_first_and_a_revert_starts_it_again() -> None:
    sims = fleet_with(hosts=["web1"])
    sims.hosts["web1"].sick.add(NEW)
    done = run(sims, settings(["web1"], strategy="recreate"))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[2:] == ["pull", "stop-old", "start", "check", "rollback", "record"]
    assert sims.hosts["web1"].serving == OLD
    assert sims.hosts["web1"].running_of(OLD) == [f"api-{OLD}-1"]


def test_a_rolling_revert_removes_each_replica_started() -> None:
    sims = fleet_with(hosts=["web1"], replicas=3)
    sims.fail("web1", "replica-2")
    done = run(sims, settings(["web1"], strategy="rolling", replicas="3"))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    (revert,) = [r.step for r in done.hosts[0].log if r.name == "rollback"]
    assert list(revert.new) == [f"api-{NEW}-1", f"api-{NEW}-2"]  # type: ignore[attr-defined]
    assert sims.hosts["web1"].running_of(NEW) == []
    assert sims.hosts["web1"].serving == OLD


def test_compose_blue_green_and_a_project_without_a_routed_container() -> None:
    sims = MemoryFleet(["web1"])
    done = run(sims, settings(["web1"], **{"compose-file": "compose.yml"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert sims.hosts["web1"].serving == NEW and NEW in sims.hosts["web1"].compose_dirs
    sims.fail("web1", "start", code=0, output="")
    again = run(sims, settings(["web1"], **{"compose-file": "compose.yml"}), release=NEW + ".2")
    assert again.result is not None and again.result.status == "rolled-back", again.log
    assert again.result.story[0] == "web1: start: the routed service has no container"
    assert sims.hosts["web1"].serving == NEW


def test_a_step_past_command_timeout_is_stopped_on_the_host_and_a_lost_link_said() -> None:
    sims = fleet_with(hosts=["web1", "web2"])
    sims.fail("web1", "pull", timeout=True)
    sims.fail("web2", "pull", code=255, output="Connection reset by peer")
    done = run(sims, settings(["web1", "web2"]))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    errors = {h.name: h.state.error for h in done.hosts}
    assert errors["web1"] == "pull timed out after 600s"
    assert errors["web2"] == "pull: the SSH connection failed (Connection reset by peer)"
    assert ("web1", "stop-steps", "") in sims.calls
    assert ("web2", "stop-steps", "") not in sims.calls


@pytest.mark.parametrize(("problem", "error"), [("key", ConfigError), ("down", ExternalError)])
def test_a_host_that_cannot_be_reached_stops_the_run(problem: str, error: type) -> None:
    sims = fleet_with(hosts=["web1", "web2"])
    sims.unreachable["web2"] = problem
    done = run(sims, settings(["web1", "web2"]))
    assert isinstance(done.error, error), done.log
    assert all(sim.ran == [] for sim in sims.hosts.values())


def test_host_state_is_replaced_never_changed() -> None:
    state = HostState(Target("web1", "10.0.0.1"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.status = "working"  # type: ignore[misc]
