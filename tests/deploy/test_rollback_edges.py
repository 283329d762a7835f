"""The edges of the rollback target (issue 24): after three or more releases a rollback picks
the previous one, never the oldest; a second rollback goes on back, never forward again; what
the record of each release says and what a rollback leaves on the host (in-memory fleet)."""

from __future__ import annotations

import pytest

from shipyard.deploy.releases import Release, previous_release
from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import run, settings

R1, R2, R3, R4 = (f"2026010{day}000000-r{day}" for day in range(1, 5))
ROLLBACK = {"mode": "rollback"}


def rel(id_: str, result: str = "deployed") -> Release:
    return Release(id_, "img", "img@sha256:1", 0, "", "", result)


def ids(record: Release | None) -> str | None:
    return None if record is None else record.id


def test_after_three_releases_the_previous_one_not_the_oldest() -> None:
    records = [rel(R1), rel(R2), rel(R3), rel(R4)]
    assert ids(previous_release(records, R4)) == R3
    assert ids(previous_release(reversed(records), R4)) == R3  # the order read is no matter
    assert ids(previous_release(records, R3)) == R2
    assert ids(previous_release(records, R2)) == R1
    assert ids(previous_release(records, R1)) is None


def test_a_newer_release_than_the_current_one_is_never_the_target() -> None:
    """After a rollback from R3 to R2, R3's record still says deployed: the next rollback goes
    on to R1, it does not bounce forward to R3."""
    records = [rel(R1), rel(R2), rel(R3)]
    assert ids(previous_release(records, R2)) == R1


def test_only_releases_that_served_are_targets() -> None:
    records = [rel(R1, "replaced"), rel(R2, "failed"), rel(R3, "rolled-back"), rel(R4)]
    assert ids(previous_release(records, R4)) == R1
    records = [rel(R1), rel(R2, "started"), rel(R3)]
    assert ids(previous_release(records, R3)) == R1
    assert ids(previous_release([rel(R1, "failed"), rel(R2)], R2)) is None


def test_without_a_current_release_the_newest_that_served() -> None:
    records = [rel(R1), rel(R2), rel(R3, "rolled-back")]
    assert ids(previous_release(records, "")) == R2


def test_a_named_release_is_taken_whatever_its_place_or_result() -> None:
    records = [rel(R1), rel(R2, "rolled-back"), rel(R3)]
    assert ids(previous_release(records, R3, R1)) == R1
    assert ids(previous_release(records, R1, R3)) == R3
    assert ids(previous_release(records, R3, R2)) == R2
    assert previous_release(records, R3, "20990101000000-r9") is None
    assert ids(previous_release(records, R3, "")) == R1  # empty: the previous one


def test_a_record_read_twice_counts_once() -> None:
    """The host may list a release twice (its record rewritten): the last one read counts."""
    records = [rel(R1), rel(R2), rel(R2, "rolled-back"), rel(R3)]
    assert ids(previous_release(records, R3)) == R1


def three_releases(hosts: list[str]) -> MemoryFleet:
    """Hosts that ran R1, R2, R3 (the older containers kept, stopped)."""
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        for release in (R1, R2, R3):
            sim.deployed(release)
    return sims


def test_a_rollback_after_three_releases_goes_to_the_previous_and_then_further_back() -> None:
    sims = three_releases(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **ROLLBACK), release="20260105000000-r5")
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert (done.result.release, done.result.previous) == (R2, R3)
    assert all(sim.serving == R2 and sim.running_of(R3) == [] for sim in sims.hosts.values())
    again = run(sims, settings(["web1", "web2"], **ROLLBACK), release="20260106000000-r6")
    assert again.result is not None and again.result.status == "rolled-back", again.log
    assert (again.result.release, again.result.previous) == (R1, R2)
    assert all(sim.serving == R1 for sim in sims.hosts.values())


def test_the_audit_line_of_a_rollback() -> None:
    sims = three_releases(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    entry = sims.hosts["web1"].audit[-1]
    assert entry == {
        "event": "rollback", "release": R2, "previous": R3, "time": sims.clock.now(),
        "run_url": "https://github.example/o/r/runs/2", "actor": "octocat",
    }  # fmt: skip


def test_a_host_with_nothing_to_go_back_to_says_so_and_the_others_stay() -> None:
    sims = three_releases(["web1"])
    sims.hosts["web2"] = type(sims.hosts["web1"])("web2")
    sims.hosts["web2"].deployed(R1)
    done = run(sims, settings(["web1", "web2"], **ROLLBACK))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.result.story == [
        f"web2: no release to roll back to (current {R1}, wanted the previous one)"
    ]
    assert done.status("web1") == "rolled-back" and done.status("web2") != "rolled-back"


def test_a_host_that_never_had_a_release_says_none() -> None:
    sims = MemoryFleet(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.result.story == [
        "web1: no release to roll back to (current none, wanted the previous one)"
    ]
    assert done.result.release == "" and done.result.previous == ""


def test_a_compose_release_is_not_rolled_back_without_compose_file() -> None:
    sims = three_releases(["web1"])
    sims.hosts["web1"].compose_dirs.add(R2)
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.result.story == [
        f"web1: release {R2} was deployed with compose-file: roll it back with the same "
        "compose-file input"
    ]
    assert sims.hosts["web1"].ran == ["lock", "unlock"]


@pytest.mark.parametrize("to", [R1, ""])
def test_the_plan_and_the_release_of_a_named_or_previous_rollback(to: str) -> None:
    sims = three_releases(["web1"])
    extra = {"to-release": to} if to else {}
    done = run(sims, settings(["web1"], **ROLLBACK, **extra, **{"post-rollback": "./restore"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    wanted = to or "the previous release"
    assert done.result.plan == [f"Roll back api to {wanted}, then post-rollback on each host"]
    assert done.result.release == (to or R2)
    assert done.result.story == ["web1: post-rollback ran"]
    ((name, env),) = sims.hosts["web1"].hooks
    assert name == "post-rollback" and env["SHIPYARD_FAILED_RELEASE"] == R3


def test_a_failed_post_rollback_is_an_error_and_the_host_stays_rolled_back() -> None:
    sims = three_releases(["web1"])
    sims.fail("web1", "post-rollback")
    done = run(sims, settings(["web1"], **ROLLBACK, **{"post-rollback": "./restore"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.story == [
        "web1: rolled back, but post-rollback failed (exit 1): injected failure"
    ]
    assert "error: post-rollback failed: web1: rolled back, but post-rollback" in done.log
    assert sims.hosts["web1"].serving == R2


def test_a_dry_run_names_the_wanted_release() -> None:
    sims = three_releases(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK, **{"dry-run": "true", "to-release": R1}))
    assert done.result is not None and done.result.status == "planned", done.log
    assert done.result.release == R1 and done.result.previous == R3
    assert done.result.plan == [f"Roll back api to {R1}"]
    assert sims.hosts["web1"].serving == R3
