"""The edges of the rollback target (issue 24): after three or more releases a rollback picks
the previous one, never the oldest; a second rollback goes on back, never forward again; what
the record of each release says and what a rollback leaves on the host (in-memory fleet)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.deploy import compose_steps as cs
from shipyard.deploy import container_steps as ct
from shipyard.deploy import report
from shipyard.deploy.releases import Release, previous_release
from shipyard.runtime import VerdictFailure
from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import Run, run, settings

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
    assert done.result.hooks_failed == ("web1",)
    failure = report.verdict(done.result, "rollback")  # the job fails: exit 1, not 0
    assert isinstance(failure, VerdictFailure) and failure.exit_code == 1
    assert str(failure).startswith(f"Rolled back to {R2}, but post-rollback failed on web1: ")


def test_a_rollback_whose_post_rollback_ran_passes_and_one_failed_host_fails_it() -> None:
    """Two hosts, the hook failing on one: both are back, the job fails naming that one."""
    hook = {"post-rollback": "./restore"}
    sims = three_releases(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **ROLLBACK, **hook))
    assert done.result is not None and done.result.hooks_failed == ()
    assert report.verdict(done.result, "rollback") is None
    sims = three_releases(["web1", "web2"])
    sims.fail("web2", "post-rollback")
    done = run(sims, settings(["web1", "web2"], **ROLLBACK, **hook))
    assert done.result is not None and done.result.status == "rolled-back"
    assert done.result.hooks_failed == ("web2",)
    failure = report.verdict(done.result, "rollback")
    assert isinstance(failure, VerdictFailure) and "failed on web2:" in str(failure)


def test_a_dry_run_names_the_wanted_release() -> None:
    sims = three_releases(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK, **{"dry-run": "true", "to-release": R1}))
    assert done.result is not None and done.result.status == "planned", done.log
    assert done.result.release == R1 and done.result.previous == R3
    assert done.result.plan == [f"Roll back api to {R1}"]
    assert sims.hosts["web1"].serving == R3


# -- how a host is put back (restore) ---------------------------------------------------------
COMPOSE = {"compose-file": "compose.yml"}
PRIVATE = {"registry-username": "bot", "registry-password": "s3cret", "env": "A=1"}


def compose_on_two_releases() -> MemoryFleet:
    """A host that ran compose releases R1, then R2 (R1's project kept, stopped)."""
    sims = MemoryFleet(["web1"])
    for release in (R1, R2):
        done = run(sims, settings(["web1"], **COMPOSE), release=release)
        assert done.result is not None and done.result.status == "deployed", done.log
    return sims


def steps_of(done: Run, name: str) -> list[Any]:
    """The step values of ``name`` the host ran."""
    return [r.step for r in done.hosts[0].log if r.name == name]


def test_a_kept_compose_project_is_switched_back_in_one_step() -> None:
    sims = compose_on_two_releases()
    done = run(sims, settings(["web1"], **ROLLBACK, **COMPOSE))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert sims.hosts["web1"].ran[-4:] == ["lock", "switch", "stop-old", "unlock"]
    (back,) = steps_of(done, "switch")
    assert isinstance(back, cs.ComposeBringBack) and back.release == R1
    (stop,) = steps_of(done, "stop-old")
    assert isinstance(stop, cs.ComposeStop) and stop.release == R2 and stop.drain == 1.0
    assert json.loads(stop.audit_json)["previous"] == R2
    assert sims.hosts["web1"].current == R1 and sims.hosts["web1"].serving == R1


def test_a_compose_release_whose_containers_are_gone_is_started_from_its_kept_file() -> None:
    sims = compose_on_two_releases()
    sim = sims.hosts["web1"]
    sim.containers = {n: v for n, v in sim.containers.items() if v[0] != R1}
    done = run(sims, settings(["web1"], **ROLLBACK, **COMPOSE, **PRIVATE))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert sim.ran[-7:] == ["lock", "pull", "start", "check", "switch", "stop-old", "unlock"]
    record = Release.from_json(sim.records[R1])
    assert record is not None and record.digest
    (pull,) = steps_of(done, "pull")
    assert (pull.username, pull.password, pull.image) == ("bot", "s3cret", record.digest)
    (start,) = steps_of(done, "start")
    assert isinstance(start, cs.ComposeStart) and start.app is None  # the kept file
    assert (start.release, start.image, dict(start.env)) == (R1, record.digest, {"A": "1"})
    assert start.renderer.release == R1
    routed = (f"api-{R1}-web-1",)
    (check,) = steps_of(done, "check")
    assert isinstance(check, cs.ComposeCheck) and check.renderer.release == R1
    assert (check.release, tuple(check.names)) == (R1, routed)
    (switch,) = steps_of(done, "switch")
    assert (switch.release, tuple(switch.names)) == (R1, routed)
    (stop,) = steps_of(done, "stop-old")
    assert stop.release == R2 and json.loads(stop.audit_json)["event"] == "rollback"
    assert sim.current == R1 and sim.serving == R1


def test_a_release_with_one_replica_of_two_pruned_is_created_again() -> None:
    sims = MemoryFleet(["web1"])
    sim = sims.hosts["web1"]
    sim.deployed(R1, replicas=2)
    sim.deployed(R2, replicas=2)
    del sim.containers[f"api-{R1}-2"]
    done = run(sims, settings(["web1"], **ROLLBACK, **PRIVATE, replicas="2"))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert sim.ran[-7:] == ["lock", "pull", "start", "check", "switch", "stop-old", "unlock"]
    record = Release.from_json(sim.records[R1])
    assert record is not None
    (start,) = steps_of(done, "start")
    assert isinstance(start, ct.Start) and start.image == record.digest
    assert dict(start.env) == {"A": "1"}
    (switch,) = steps_of(done, "switch")
    assert switch.release == R1 and tuple(switch.names) == (f"api-{R1}-1", f"api-{R1}-2")
    assert sim.current == R1 and sim.running_of(R1) == [f"api-{R1}-1", f"api-{R1}-2"]


def test_kept_containers_come_back_as_the_release_they_are() -> None:
    sims = three_releases(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    (back,) = steps_of(done, "switch")
    assert isinstance(back, ct.BringBack) and back.release == R2
    assert tuple(back.names) == (f"api-{R2}-1",) and back.renderer.release == R2
    assert sims.hosts["web1"].current == R2


def test_a_restore_that_fails_leaves_the_host_half_done_and_its_lock_released() -> None:
    sims = three_releases(["web1"])
    sims.fail("web1", "switch")
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.status("web1") == "working"
    assert done.result.story == ["web1: switch failed (exit 1): injected failure"]
    assert done.result.release == R2  # what it was going back to
    assert sims.hosts["web1"].lock is None


def test_the_post_rollback_hook_runs_the_command() -> None:
    sims = three_releases(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK, **{"post-rollback": "./restore --all"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    (hook,) = steps_of(done, "post-rollback")
    assert hook.command == "./restore --all" and hook.renderer.release == R2


def test_the_release_named_when_no_host_could_go_back() -> None:
    sims = three_releases(["web1"])
    done = run(sims, settings(["web1"], **ROLLBACK, **{"to-release": "20990101000000-r9"}))
    assert done.result is not None and done.result.status == "failed", done.log
    assert done.result.release == "20990101000000-r9"
    assert [h.name for h in done.result.hosts] == ["web1"]


def test_each_host_output_is_one_group_named_rollback() -> None:
    sims = three_releases(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **ROLLBACK))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert "== web1: rollback\n--- switch: exit 0" in done.log
    assert "== web2: rollback\n--- switch: exit 0" in done.log


def test_a_lock_release_that_breaks_is_a_warning_naming_it() -> None:
    sims = three_releases(["web1"])

    def broken(host: str, step: str) -> None:
        if step == "unlock":
            raise OSError("the link broke")

    sims.on_step = broken
    done = run(sims, settings(["web1"], **ROLLBACK))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert "Cleanup 'release the deploy locks' failed: OSError: the link broke" in done.log
