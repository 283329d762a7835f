"""The hooks around a release on the in-memory fleet: post-deploy and smoke-command get the new
containers' addresses (``SHIPYARD_UPSTREAMS``); post-rollback runs once a host is back on the
release that ran before (the deploy's own revert, or ``mode: rollback``), and only where
something was put back."""

from __future__ import annotations

import pytest

from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import NEW, OLD, CancellingClock, Run, run, settings

RESTORE = {"post-rollback": './restore "$SHIPYARD_FAILED_RELEASE"'}
HOOKS = {
    **RESTORE, "pre-deploy": "./backup", "post-deploy": "true", "smoke-command": "true",
    "monitor": "2s", "monitor-interval": "1s",
}  # fmt: skip
FULL = {**HOOKS, "migrate-command": "./migrate"}


def fleet_with(hosts: list[str], *releases: str) -> MemoryFleet:
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        for release in releases or (OLD,):
            sim.deployed(release)
    return sims


def hook(done: Run, host: str) -> object:
    """The post-rollback step that ran on ``host``."""
    (view,) = [h for h in done.hosts if h.name == host]
    (step,) = [r.step for r in view.log if r.name == "post-rollback"]
    return step


def env(sims: MemoryFleet, host: str, hook: str) -> dict[str, str]:
    """The environment the action gave ``hook`` on ``host`` (the last time it ran)."""
    return [e for name, e in sims.hosts[host].hooks if name == hook][-1]


# -- SHIPYARD_UPSTREAMS -----------------------------------------------------------------------
def addresses(sims: MemoryFleet, host: str, names: list[str]) -> str:
    return " ".join(f"127.0.0.1:{sims.hosts[host].ports[n]}" for n in names)


@pytest.mark.parametrize("strategy", ["blue-green", "recreate", "rolling"])
def test_post_deploy_and_smoke_get_the_new_containers_addresses(strategy: str) -> None:
    sims = fleet_with(["web1", "web2"])
    replicas = {"strategy": strategy, "replicas": "2"}
    done = run(sims, settings(["web1", "web2"], **HOOKS, **replicas))
    assert done.result is not None and done.result.status == "deployed", done.log
    for host in ("web1", "web2"):
        new = addresses(sims, host, [f"api-{NEW}-1", f"api-{NEW}-2"])
        assert env(sims, host, "post-deploy")["SHIPYARD_UPSTREAMS"] == new
        assert env(sims, host, "smoke")["SHIPYARD_UPSTREAMS"] == new
        assert env(sims, host, "smoke")["SHIPYARD_PREVIOUS_RELEASE"] == OLD
        assert "SHIPYARD_UPSTREAMS" not in env(sims, host, "pre-deploy")  # nothing started yet


def test_a_compose_smoke_test_gets_the_routed_containers_addresses() -> None:
    sims = MemoryFleet(["web1"])
    done = run(sims, settings(["web1"], **HOOKS, **{"compose-file": "compose.yml"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    routed = addresses(sims, "web1", [f"api-{NEW}-web-1"])
    assert env(sims, "web1", "smoke")["SHIPYARD_UPSTREAMS"] == routed


def test_a_new_container_without_a_published_port_fails_the_smoke_test_naming_it() -> None:
    sims = fleet_with(["web1"])

    def unpublish(host: str, step: str) -> None:
        if step == "smoke":
            del sims.hosts[host].ports[f"api-{NEW}-1"]

    sims.on_step = unpublish
    done = run(sims, settings(["web1"], **{"smoke-command": "./smoke"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.story[0] == (
        f"web1: smoke failed (exit 1): api-{NEW}-1 publishes no port for SHIPYARD_UPSTREAMS"
    )


# -- post-rollback ----------------------------------------------------------------------------
def test_post_rollback_runs_once_the_old_release_serves_again() -> None:
    sims = fleet_with(["web1"])
    serving: dict[str, str] = {}
    sims.on_step = lambda host, step: serving.setdefault(step, sims.hosts[host].serving)
    sims.fail("web1", "smoke")
    done = run(sims, settings(["web1"], **FULL))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    sim = sims.hosts["web1"]
    assert sim.ran[-4:] == ["rollback", "record", "post-rollback", "unlock"]
    assert serving["smoke"] == NEW and serving["post-rollback"] == OLD
    assert sim.running_of(NEW) == [] and sim.events()[-1] == "rolled-back"
    step = hook(done, "web1")
    assert step.extra == {"SHIPYARD_FAILED_RELEASE": NEW}  # type: ignore[attr-defined]
    assert step.command == './restore "$SHIPYARD_FAILED_RELEASE"'  # type: ignore[attr-defined]
    assert step.renderer.release == NEW  # type: ignore[attr-defined]  # the run's release
    assert "web1: post-rollback ran" in done.result.story


# (strategy, the step that fails, whether post-rollback runs): it runs where the rollout got to
# change the host (migrate, a container started, the old release stopped, the switch), not where
# it ended at the pull or pre-deploy (a failed backup must not be "restored" over the data).
CASES = [
    ("blue-green", "pull", False), ("blue-green", "pre-deploy", False),
    ("blue-green", "migrate", True), ("blue-green", "start", True),
    ("blue-green", "check", True), ("blue-green", "switch", True),
    ("blue-green", "smoke", True), ("blue-green", "watch-2", True),
    ("recreate", "stop-old", True), ("rolling", "replica-1", True),
    ("compose", "start", True),
]  # fmt: skip


@pytest.mark.parametrize(("strategy", "step", "runs"), CASES)
def test_post_rollback_only_where_something_was_put_back(
    strategy: str, step: str, runs: bool
) -> None:
    sims = fleet_with(["web1"])
    if strategy == "compose":
        sims.hosts["web1"].containers = {f"api-{OLD}-web-1": [OLD, "running"]}
        sims.hosts["web1"].compose_dirs.add(OLD)
        extra = {"compose-file": "compose.yml"}
    else:
        extra = {"strategy": strategy}
    if step in ("pull", "pre-deploy", "migrate"):  # else a migration alone would count
        extra["migrate-command"] = "./migrate"
    sims.fail("web1", step)
    done = run(sims, settings(["web1"], **HOOKS, **extra))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    expected = ["rollback", "record", "post-rollback"] if runs else ["rollback", "record"]
    assert done.steps("web1")[-len(expected) :] == expected
    assert ("post-rollback" in sims.hosts["web1"].ran) == runs
    assert sims.hosts["web1"].serving == OLD


def test_past_max_failures_a_finished_host_restores_and_an_untouched_one_does_not() -> None:
    sims = fleet_with(["web1", "web2", "web3"])
    sims.fail("web2", "check")
    done = run(sims, settings(["web1", "web2", "web3"], **RESTORE, **{"batch-size": "1"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[-5:] == [
        "record",
        "prune-images",
        "rollback",
        "record",
        "post-rollback",
    ]
    assert done.steps("web2")[-3:] == ["rollback", "record", "post-rollback"]
    assert sims.hosts["web3"].ran == ["lock", "unlock"]


def test_a_first_deploy_put_back_restores_too() -> None:
    sims = MemoryFleet(["web1"])
    sims.fail("web1", "check")
    done = run(sims, settings(["web1"], **RESTORE))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[-3:] == ["rollback", "record", "post-rollback"]
    assert hook(done, "web1").extra == {"SHIPYARD_FAILED_RELEASE": NEW}  # type: ignore[attr-defined]


def test_a_failed_post_rollback_is_an_error_made_once_and_the_host_stays_rolled_back() -> None:
    sims = fleet_with(["web1"])
    sims.fail("web1", "smoke")
    sims.fail("web1", "post-rollback", code=3, output="restore: no backup")
    done = run(sims, settings(["web1"], **RESTORE, **{"smoke-command": "false"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.status("web1") == "rolled-back"
    assert [c[1] for c in sims.calls].count("post-rollback") == 1
    message = "web1: rolled back, but post-rollback failed (exit 3): restore: no backup"
    assert message in done.result.story
    assert f"error: post-rollback failed: {message}" in done.log
    assert sims.hosts["web1"].serving == OLD


def test_a_cancel_during_the_watch_puts_the_old_release_back_then_restores() -> None:
    sims = fleet_with(["web1"])
    done = run(sims, settings(["web1"], **FULL), clock=CancellingClock(1.0, nth=2))
    assert done.cancelled, done.log
    assert done.steps("web1")[-3:] == ["rollback", "record", "post-rollback"]
    assert sims.hosts["web1"].serving == OLD and sims.hosts["web1"].lock is None


def test_without_post_rollback_nothing_more_runs() -> None:
    sims = fleet_with(["web1"])
    sims.fail("web1", "check")
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[-2:] == ["rollback", "record"]


def test_the_plan_names_the_rollback_steps_a_failed_host_then_makes() -> None:
    sims = fleet_with(["web1"])
    dry = run(sims, settings(["web1"], **RESTORE, **{"dry-run": "true"}))
    assert dry.result is not None and dry.result.status == "planned", dry.log
    (line,) = [x for x in dry.result.plan if x.startswith("Rollback steps per host: ")]
    sims.fail("web1", "check")
    real = run(sims, settings(["web1"], **RESTORE))
    assert real.result is not None and real.result.status == "rolled-back", real.log
    after = real.steps("web1")[real.steps("web1").index("check") + 1 :]
    assert line == "Rollback steps per host: " + " -> ".join(after)
    assert after == ["rollback", "record", "post-rollback"]


# -- mode: rollback ---------------------------------------------------------------------------
ROLLBACK = {"mode": "rollback", **RESTORE}


def test_rollback_mode_runs_post_rollback_once_back_on_the_previous_release() -> None:
    sims = fleet_with(["web1", "web2"], OLD, NEW)
    serving: list[str] = []
    sims.on_step = lambda host, step: serving.append(f"{host} {step} {sims.hosts[host].serving}")
    done = run(sims, settings(["web1", "web2"], **ROLLBACK), release="20260103000000-r3")
    assert done.result is not None and done.result.status == "rolled-back", done.log
    for name, sim in sims.hosts.items():
        assert sim.ran == ["lock", "switch", "stop-old", "post-rollback", "unlock"]
        assert f"{name} post-rollback {OLD}" in serving
        step = hook(done, name)
        assert step.extra == {"SHIPYARD_FAILED_RELEASE": NEW}  # type: ignore[attr-defined]
        assert step.renderer.release == OLD  # type: ignore[attr-defined]  # the run's release
    assert done.result.plan == [
        "Roll back api to the previous release, then post-rollback on each host"
    ]


def test_rollback_mode_of_a_compose_release_runs_post_rollback() -> None:
    sims = MemoryFleet(["web1"])
    compose = settings(["web1"], **{"compose-file": "compose.yml"})
    assert run(sims, compose, release=OLD).result.status == "deployed"  # type: ignore[union-attr]
    assert run(sims, compose, release=NEW).result.status == "deployed"  # type: ignore[union-attr]
    done = run(sims, settings(["web1"], **ROLLBACK, **{"compose-file": "compose.yml"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[-3:] == ["switch", "stop-old", "post-rollback"]


def test_rollback_mode_with_nothing_to_go_back_to_runs_no_post_rollback() -> None:
    sims = fleet_with(["web1"], OLD)
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "failed", done.log
    assert sims.hosts["web1"].ran == ["lock", "unlock"]


def test_a_failed_post_rollback_in_rollback_mode_is_an_error_and_the_host_is_back() -> None:
    sims = fleet_with(["web1"], OLD, NEW)
    sims.fail("web1", "post-rollback")
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert "error: post-rollback failed: web1: rolled back, but post-rollback failed" in done.log
    assert sims.hosts["web1"].serving == OLD
