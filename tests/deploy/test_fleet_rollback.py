"""mode: rollback on the in-memory fleet: its own mode on the shared fleet and lock (not a
subclass of the deploy), from kept containers in one step or re-created from the record."""

from __future__ import annotations

from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import NEW, OLD, run, settings

ROLLBACK = {"mode": "rollback"}


def fleet_on_new(hosts: list[str]) -> MemoryFleet:
    """Hosts that ran OLD, then NEW (OLD's containers kept, stopped)."""
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        sim.deployed(OLD)
        sim.deployed(NEW)
    return sims


def test_kept_containers_are_started_and_switched_to_in_one_step() -> None:
    sims = fleet_on_new(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **ROLLBACK), release="20260103000000-r3")
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.release == OLD and done.result.previous == NEW
    for sim in sims.hosts.values():
        assert sim.serving == OLD and sim.running_of(NEW) == []
        assert sim.ran == ["lock", "switch", "stop-old", "unlock"]
        assert sim.events() == ["deployed", "deployed", "rollback"]
        assert sim.lock is None


def test_a_pruned_release_is_pulled_and_recreated_from_its_digest() -> None:
    sims = fleet_on_new(["web1"])
    sim = sims.hosts["web1"]
    del sim.containers[f"api-{OLD}-1"]
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert sim.ran == ["lock", "pull", "start", "check", "switch", "stop-old", "unlock"]
    (pull,) = [r.step for r in done.hosts[0].log if r.name == "pull"]
    assert pull.image.startswith("reg/api@sha256:")  # type: ignore[attr-defined]
    assert sim.serving == OLD


def test_to_release_that_the_host_never_had_fails_naming_it() -> None:
    sims = fleet_on_new(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK, **{"to-release": "19990101000000-r0"}))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.result.story == [
        "web1: no release to roll back to (current 20260102000000-r2, wanted 19990101000000-r0)"
    ]
    assert sims.hosts["web1"].serving == NEW and sims.hosts["web1"].lock is None


def test_a_single_image_release_is_not_rolled_back_with_compose_file() -> None:
    sims = fleet_on_new(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK, **{"compose-file": "compose.yml"}))
    assert done.result is not None and done.result.status == "failed", done.log
    assert (
        "was deployed without compose-file: roll it back without compose-file"
        in (done.result.story[0])
    )
    assert sims.hosts["web1"].ran == ["lock", "unlock"]


def test_a_compose_release_comes_back_from_its_kept_project() -> None:
    sims = MemoryFleet(["web1"])
    compose = settings(["web1"], **{"compose-file": "compose.yml"})
    assert run(sims, compose, release=OLD).result.status == "deployed"  # type: ignore[union-attr]
    assert run(sims, compose, release=NEW).result.status == "deployed"  # type: ignore[union-attr]
    done = run(sims, settings(["web1"], **ROLLBACK, **{"compose-file": "compose.yml"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[-2:] == ["switch", "stop-old"]
    assert sims.hosts["web1"].serving == OLD


def test_a_dry_run_rollback_changes_nothing() -> None:
    sims = fleet_on_new(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK, **{"dry-run": "true"}))
    assert done.result is not None and done.result.status == "planned", done.log
    assert done.result.plan == ["Roll back api to the previous release"]
    assert sims.hosts["web1"].ran == ["lock", "unlock"]
    assert sims.hosts["web1"].serving == NEW
