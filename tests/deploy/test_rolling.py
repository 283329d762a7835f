"""rolling over replicas on one host, and recreate."""

from __future__ import annotations

import json

from tests.deploy.conftest import App
from tests.services.loadgen import LoadGenerator, fetch

ROLLING = {"strategy": "rolling", "replicas": "3"}


def test_rolling_over_three_replicas_under_load_drops_nothing(app: App) -> None:
    first = app.deploy("v1", ROLLING)
    assert first.code == 0, first.log
    assert len(app.hosts[0].containers(app.name)) == 3
    with LoadGenerator(app.url, threads=4, max_requests=6000, max_seconds=120) as load:
        assert load.wait_for(1000)
        second = app.deploy("v2", ROLLING)
        load.wait_for(max(5000, load.count() + 300))  # and some answers after it
    assert second.code == 0, second.log
    result = load.result
    assert result.total >= 5000
    assert result.failed == 0, result.errors
    assert result.versions() == ["v1", "v2"]
    assert result.answers[-1] == "v2"
    (host,) = json.loads(second.outputs["hosts"])
    names = [s["name"] for s in host["steps"]]
    assert names[names.index("replica-1") :][:3] == ["replica-1", "replica-2", "replica-3"]
    running = app.hosts[0].containers(app.name)
    assert running == [f"{app.name}-{second.outputs['release']}-{i}" for i in (1, 2, 3)]
    # The old replicas are kept, stopped, for a rollback.
    kept = set(app.hosts[0].containers(app.name, all_states=True)) - set(running)
    assert len(kept) == 3


def test_rolling_failure_puts_every_old_replica_back(app: App) -> None:
    assert app.deploy("v2", ROLLING).code == 0
    with LoadGenerator(app.url, threads=2, max_requests=3000, max_seconds=60) as load:
        assert load.wait_for(200)
        bad = app.deploy("v3", {**ROLLING, "health-timeout": "2s"})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    assert load.result.failed == 0, load.result.errors
    assert load.result.versions() == ["v2"]
    assert len(app.hosts[0].containers(app.name)) == 3
    assert fetch(app.url) == "v2"


def test_recreate_stops_the_old_release_first(app: App) -> None:
    assert app.deploy("v1", {"strategy": "recreate"}).code == 0
    second = app.deploy("v2", {"strategy": "recreate"})
    assert second.code == 0, second.log
    (host,) = json.loads(second.outputs["hosts"])
    names = [s["name"] for s in host["steps"]]
    assert names.index("stop-old") < names.index("start")
    assert fetch(app.url) == "v2"
