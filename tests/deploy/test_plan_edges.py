"""The edges of the plan (issue 24): batch sizes at and past the number of hosts, the last
short batch, release ids, the watch line, and a plan whose hosts differ (in-memory fleet)."""

from __future__ import annotations

import pytest

from shipyard.deploy import plan
from shipyard.deploy.targets import Target, parse_targets
from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import NEW, OLD, run, settings

FIVE = [f"web{i}" for i in range(1, 6)]


def targets(count: int) -> list[Target]:
    return parse_targets([f"web{i}=10.0.0.{i}" for i in range(1, count + 1)], "deploy")


@pytest.mark.parametrize(
    ("extra", "count", "size"),
    [
        ({}, 5, 5),
        ({}, 1, 1),
        ({"strategy": "rolling"}, 5, 1),
        ({"strategy": "recreate"}, 5, 5),
        ({"batch-size": "2"}, 5, 2),
        ({"batch-size": "5"}, 5, 5),
        ({"batch-size": "9"}, 5, 5),  # never more than the hosts
        ({"batch-size": "3", "strategy": "rolling"}, 5, 3),
    ],
)
def test_batch_size(extra: dict[str, str], count: int, size: int) -> None:
    assert plan.batch_size(settings(FIVE, **extra), count) == size


@pytest.mark.parametrize(
    ("count", "size", "shape"),
    [(5, 2, [2, 2, 1]), (4, 2, [2, 2]), (3, 3, [3]), (3, 1, [1, 1, 1]), (1, 1, [1])],
)
def test_batches_keep_the_order_and_the_last_one_takes_the_rest(
    count: int, size: int, shape: list[int]
) -> None:
    hosts = targets(count)
    got = plan.batches(hosts, size)
    assert [len(b) for b in got] == shape
    assert [t for b in got for t in b] == hosts


def test_release_ids() -> None:
    assert plan.release_id(1_700_000_000, "42", "1") == "20231114221320-r42"
    assert plan.release_id(1_700_000_000, "42", "") == "20231114221320-r42"
    assert plan.release_id(1_700_000_000, "42", "3") == "20231114221320-r42.3"
    assert plan.release_id(1_700_000_000, "", "3") == "20231114221320"  # no run: the time


def describe(hosts: list[str], **extra: str) -> list[str]:
    s = settings(hosts, **extra)
    return plan.describe(s, parse_targets(s.hosts, s.user), NEW, ["Steps per host: x"])


def test_the_plan_in_lines() -> None:
    extra = {"batch-size": "2", "replicas": "2", "monitor": "90s", "monitor-interval": "7.5s"}
    assert describe(FIVE[:3], **extra) == [
        f"Release {NEW}: reg/api:2",
        "Strategy blue-green, 2 replica(s) per host, proxy nginx",
        "Batch 1: web1, web2",
        "Batch 2: web3",
        "Steps per host: x",
        "Watch 90s, a check every 7.5s",
    ]


def test_a_compose_plan_and_no_watch() -> None:
    lines = describe(["web1"], **{"compose-file": "deploy/compose.yml", "strategy": "recreate"})
    assert lines == [
        f"Release {NEW}: reg/api:2",
        "Strategy recreate, compose project api-<release> from deploy/compose.yml, proxy nginx",
        "Batch 1: web1",
        "Steps per host: x",
    ]


@pytest.mark.parametrize(
    ("monitor", "interval", "watch"),
    [
        ("1s", "1s", "watch-1"),
        ("2s", "1s", "watch-1..2"),
        ("3s", "1s", "watch-1..3"),
        ("5s", "2s", "watch-1..3"),
    ],
)
def test_the_watch_in_the_steps(monitor: str, interval: str, watch: str) -> None:
    sims = MemoryFleet(["web1"])
    sims.hosts["web1"].deployed(OLD)
    extra = {"monitor": monitor, "monitor-interval": interval, "dry-run": "true"}
    done = run(sims, settings(["web1"], **extra))
    assert done.result is not None, done.log
    steps = f"Steps per host: connect -> lock -> pull -> start -> check -> switch -> {watch} -> "
    assert steps in "\n".join(done.result.plan)


def test_hosts_whose_steps_differ_get_a_line_each() -> None:
    """A host without a release has none to stop: the plan says each host's steps."""
    sims = MemoryFleet(["web1", "web2"])
    sims.hosts["web1"].deployed(OLD)
    done = run(sims, settings(["web1", "web2"], **{"dry-run": "true"}))
    assert done.result is not None and done.result.status == "planned", done.log
    steps = [line for line in done.result.plan if "teps " in line]
    assert steps == [
        "Steps on web1: connect -> lock -> pull -> start -> check -> switch -> stop-old -> record"
        " -> prune-images",
        "Steps on web2: connect -> lock -> pull -> start -> check -> switch -> record"
        " -> prune-images",
        "Rollback steps per host: rollback -> record",
    ]


def test_hosts_whose_steps_agree_get_one_line() -> None:
    sims = MemoryFleet(["web1", "web2"])
    done = run(sims, settings(["web1", "web2"], **{"dry-run": "true", "post-rollback": "./r"}))
    assert done.result is not None and done.result.status == "planned", done.log
    steps = [line for line in done.result.plan if "teps " in line]
    assert steps == [
        "Steps per host: connect -> lock -> pull -> start -> check -> switch -> record"
        " -> prune-images",
        "Rollback steps per host: rollback -> record -> post-rollback",
    ]


def test_a_watch_of_one_second_is_in_the_plan() -> None:
    assert describe(["web1"], monitor="1s", **{"monitor-interval": "1s"})[-1] == (
        "Watch 1s, a check every 1s"
    )
