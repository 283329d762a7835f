"""blue-green on one host through real OpenSSH, dockerd, nginx and the registry."""

from __future__ import annotations

import json

from tests.deploy.conftest import App
from tests.services.loadgen import LoadGenerator, fetch


def test_first_deploy_then_v2_under_load_drops_nothing(app: App) -> None:
    first = app.deploy("v1")
    assert first.code == 0, first.log
    assert first.outputs["status"] == "deployed"
    assert fetch(app.url) == "v1"
    with LoadGenerator(app.url, threads=4, max_requests=6000, max_seconds=120) as load:
        assert load.wait_for(1000)
        second = app.deploy("v2")
        load.wait_for(max(5000, load.count() + 300))  # and some answers after it
    assert second.code == 0, second.log
    result = load.result
    assert result.total >= 5000
    assert result.failed == 0, result.errors
    assert result.versions() == ["v1", "v2"]
    assert result.answers[-1] == "v2"
    assert second.outputs["previous-release"] == first.outputs["release"]
    hosts = json.loads(second.outputs["hosts"])
    assert hosts[0]["result"] == "deployed"
    assert [c for c in app.hosts[0].containers(app.name)] == [
        f"{app.name}-{second.outputs['release']}-1"
    ]


def test_unhealthy_release_is_rolled_back_and_the_old_keeps_serving(app: App) -> None:
    assert app.deploy("v2").code == 0
    with LoadGenerator(app.url, threads=2, max_requests=3000, max_seconds=60) as load:
        assert load.wait_for(200)
        bad = app.deploy("v3", {"health-timeout": "2s"})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    assert load.result.failed == 0, load.result.errors
    assert load.result.versions() == ["v2"]
    assert fetch(app.url) == "v2"
    (host,) = json.loads(bad.outputs["hosts"])
    assert host["result"] == "rolled-back"
    assert "check failed" in host["error"]
    (failed,) = [s for s in host["steps"] if not s["ok"]]
    assert failed["name"] == "check" and "unhealthy" in failed["tail"]
    assert [s["name"] for s in host["steps"]][-2:] == ["rollback", "record"]
    # Only v2's container is left; v3's were removed.
    (name,) = app.hosts[0].containers(app.name, all_states=True)
    assert bad.outputs["previous-release"] in name
    assert "Deploy rolled back" in bad.log
    assert "What to do" in bad.summary


def test_unhealthy_during_the_watch_is_rolled_back_at_the_next_check(app: App) -> None:
    assert app.deploy("v2").code == 0
    # v4 turns unhealthy 4 s after it starts: healthy at the switch, caught by the watch.
    bad = app.deploy("v4", {"monitor": "30s", "monitor-interval": "1s"})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    (host,) = json.loads(bad.outputs["hosts"])
    names = [s["name"] for s in host["steps"]]
    watches = [s for s in host["steps"] if s["name"].startswith("watch-")]
    # Every check passed until the one right after v4 went bad; that one failed and the very
    # next step put v2 back (the watch of 30 checks was cut short).
    assert all(s["ok"] for s in watches[:-1]) and not watches[-1]["ok"]
    assert 3 <= len(watches) < 30
    assert names[names.index(watches[-1]["name"]) + 1] == "rollback"
    assert fetch(app.url) == "v2"


def test_rollback_mode_switches_to_the_previous_release(app: App) -> None:
    one = app.deploy("v1")
    two = app.deploy("v2")
    assert one.code == two.code == 0
    assert fetch(app.url) == "v2"
    back = app.deploy("v2", mode="rollback")
    assert back.code == 0, back.log
    assert back.outputs["status"] == "rolled-back"
    assert back.outputs["release"] == one.outputs["release"]
    assert back.outputs["previous-release"] == two.outputs["release"]
    assert fetch(app.url) == "v1"
    audit = (app.hosts[0].home / ".shipyard" / app.name / "audit.log").read_text().splitlines()
    assert [json.loads(line)["event"] for line in audit] == ["deployed", "deployed", "rollback"]
    # The v1 containers were kept (stopped) and started again: no new container was made.
    (kept,) = [n for n in app.hosts[0].containers(app.name) if one.outputs["release"] in n]
    assert kept.endswith("-1")


def test_rollback_recreates_a_release_whose_containers_were_pruned(app: App) -> None:
    one = app.deploy("v1")
    assert one.code == 0
    two = app.deploy("v2", {"keep-releases": "1"})
    assert two.code == 0, two.log
    # keep-releases 1: v1's stopped container was removed after the v2 deploy.
    names = app.hosts[0].containers(app.name, all_states=True)
    assert names == [f"{app.name}-{two.outputs['release']}-1"]
    back = app.deploy("v2", {"mode": "rollback", "to-release": one.outputs["release"]})
    assert back.code == 0, back.log
    steps = [s["name"] for s in json.loads(back.outputs["hosts"])[0]["steps"]]
    assert "pull" in steps and "start" in steps
    assert fetch(app.url) == "v1"
