"""The edges of the strategies (issue 24), on the in-memory fleet: what each step is given
(the hooks' commands, the pull's login, the records), the watch's number of checks and where
it reads the access log from, drain after the watch, when the old release is stopped first,
and how long the old release gets to answer again on a revert."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.deploy import strategies
from shipyard.deploy.compose_steps import watch_extra
from shipyard.deploy.render import ScriptRenderer
from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.orchestra import NEW, OLD, Run, run, settings

ACCESS_LOG = {"proxy-access-log": "/var/log/nginx/api.log"}
COMPOSE = {"compose-file": "compose.yml"}


def on_old(hosts: tuple[str, ...] = ("web1",)) -> MemoryFleet:
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        sim.deployed(OLD)
    return sims


def steps_of(done: Run, name: str) -> list[Any]:
    """The step values of ``name`` the first host ran."""
    return [r.step for r in done.hosts[0].log if r.name == name]


def deployed(sims: MemoryFleet, **extra: str) -> Run:
    done = run(sims, settings(list(sims.hosts), **extra))
    assert done.result is not None and done.result.status == "deployed", done.log
    return done


def test_the_renderer_from_the_settings() -> None:
    extra = {
        "port": "8081", "health-path": "/ready", "health-timeout": "5s",
        "health-interval": "2s", "proxy-check": "nginx -t", "proxy-reload": "nginx -s reload",
        "volumes": "data:/data",
    }  # fmt: skip
    s = settings(["web1"], **extra)
    assert strategies.renderer_for(s, NEW, "url", "me") == ScriptRenderer(
        app="api", state_dir=s.state_dir, image="reg/api:2", port=8081, release=NEW,
        replicas=1, health_attempts=4, health_interval=2.0, health_path="/ready",
        proxy="nginx", proxy_config=s.upstream_path, proxy_check="nginx -t",
        proxy_reload="nginx -s reload", volumes=("data:/data",), run_url="url", actor="me",
        compose=False,
    )  # fmt: skip
    compose = strategies.renderer_for(settings(["web1"], **COMPOSE), NEW, "", "")
    assert compose.compose is True


def test_the_rollout_gives_each_step_its_input() -> None:
    extra = {
        "registry-username": "bot", "registry-password": "s3cret", "pre-deploy": "./backup",
        "migrate-command": "./migrate", "post-deploy": "./warm", "smoke-command": "./smoke",
        "monitor": "1s", "monitor-interval": "1s", **ACCESS_LOG,
    }  # fmt: skip
    done = deployed(on_old(), **extra)
    (pull,) = steps_of(done, "pull")
    assert (pull.username, pull.password) == ("bot", "s3cret")
    commands = {name: steps_of(done, name)[0].command for name in ("pre-deploy", "post-deploy",
                                                                   "smoke", "migrate")}  # fmt: skip
    assert commands == {"pre-deploy": "./backup", "migrate": "./migrate",
                        "post-deploy": "./warm", "smoke": "./smoke"}  # fmt: skip
    (size,) = steps_of(done, "log-size")
    assert size.access_log == "/var/log/nginx/api.log"
    (watch,) = steps_of(done, "watch-1")
    assert watch.since == 1000 and watch.access_log == "/var/log/nginx/api.log"
    assert watch.extra == ""


@pytest.mark.parametrize(
    ("extra", "measured"),
    [
        ({"monitor": "1s", "monitor-interval": "1s", **ACCESS_LOG}, True),
        ({"monitor": "0", **ACCESS_LOG}, False),  # no watch: nothing to measure
        ({"monitor": "1s", "monitor-interval": "1s"}, False),  # no access log
    ],
)
def test_the_access_log_is_measured_only_for_a_watch_that_reads_it(
    extra: dict[str, str], measured: bool
) -> None:
    done = deployed(on_old(), **extra)
    assert ("log-size" in done.steps("web1")) is measured


def test_a_watch_without_an_access_log_reads_from_its_start() -> None:
    done = deployed(on_old(), monitor="1s", **{"monitor-interval": "1s"})
    (watch,) = steps_of(done, "watch-1")
    assert watch.since == 0 and watch.access_log is None


@pytest.mark.parametrize(
    ("monitor", "interval", "checks"),
    [("0.5s", "1s", 1), ("1s", "1s", 1), ("4s", "2s", 2), ("5s", "2s", 3), ("0", "1s", 0)],
)
def test_the_watch_makes_monitor_over_interval_checks(
    monitor: str, interval: str, checks: int
) -> None:
    done = deployed(on_old(), monitor=monitor, **{"monitor-interval": interval})
    assert len([n for n in done.steps("web1") if n.startswith("watch-")]) == checks


@pytest.mark.parametrize(
    ("drain", "monitor", "left"),
    [("10s", "3s", 7.0), ("1s", "3s", 0.0), ("10s", "0", 10.0), ("10s", "1s", 9.0)],
)
def test_the_old_release_drains_what_is_left_of_drain_timeout_after_the_watch(
    drain: str, monitor: str, left: float
) -> None:
    extra = {"drain-timeout": drain, "monitor": monitor, "monitor-interval": "1s"}
    (stop,) = steps_of(deployed(on_old(), **extra), "stop-old")
    assert stop.drain == left and list(stop.names) == [f"api-{OLD}-1"]


def test_the_records_of_a_release() -> None:
    sims = on_old()
    done = deployed(sims, replicas="2")
    (pull,) = [r for r in done.hosts[0].log if r.name == "pull"]
    record = json.loads(sims.hosts["web1"].records[NEW])
    assert record == {
        "id": NEW, "image": "reg/api:2", "digest": pull.value, "started": sims.clock.now(),
        "run_url": "https://github.example/o/r/runs/2", "actor": "octocat",
        "result": "deployed", "replicas": 2,
    }  # fmt: skip
    assert sims.hosts["web1"].audit[-1] == {
        "event": "deployed", "release": NEW, "time": sims.clock.now(), "image": "reg/api:2",
        "digest": pull.value, "previous": OLD, "run_url": "https://github.example/o/r/runs/2",
        "actor": "octocat",
    }  # fmt: skip


def test_a_release_put_back_before_its_pull_is_recorded_without_a_digest() -> None:
    sims = on_old()
    sims.fail("web1", "pull")
    done = run(sims, settings(["web1"]))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert json.loads(sims.hosts["web1"].records[NEW])["digest"] == ""
    assert sims.hosts["web1"].audit[-1]["digest"] == ""


@pytest.mark.parametrize(("timeout", "attempts"), [("5s", 61), ("120s", 121)])
def test_the_old_release_gets_at_least_a_minute_to_answer_again(
    timeout: str, attempts: int
) -> None:
    sims = on_old()
    sims.fail("web1", "check")
    done = run(sims, settings(["web1"], **{"health-timeout": timeout}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    (revert,) = steps_of(done, "rollback")
    assert revert.renderer.health_attempts == attempts


def test_recreate_stops_the_old_release_at_once_and_only_once() -> None:
    done = deployed(on_old(), strategy="recreate", monitor="1s", **{"monitor-interval": "1s"})
    assert done.steps("web1")[2:] == ["pull", "stop-old", "start", "check", "switch",
                                       "watch-1", "record", "prune-images"]  # fmt: skip
    (stop,) = steps_of(done, "stop-old")
    assert stop.drain == 0


def compose_on_old(**extra: str) -> MemoryFleet:
    sims = MemoryFleet(["web1"])
    deployed_ = run(sims, settings(["web1"], **COMPOSE, **extra), release=OLD)
    assert deployed_.result is not None and deployed_.result.status == "deployed", deployed_.log
    return sims


def test_compose_blue_green_stops_the_old_project_after_the_watch() -> None:
    sims = compose_on_old()
    extra = {**COMPOSE, "monitor": "1s", "monitor-interval": "1s", "drain-timeout": "3s"}
    done = deployed(sims, **extra)
    assert done.steps("web1")[2:] == ["pull", "start", "check", "switch", "watch-1",
                                       "stop-old", "record", "prune-images"]  # fmt: skip
    (start,) = steps_of(done, "start")
    assert start.image == "reg/api:2" and start.release == NEW
    (check,) = steps_of(done, "check")
    assert check.release == NEW and list(check.names) == [f"api-{NEW}-web-1"]
    (watch,) = steps_of(done, "watch-1")
    assert watch.extra == watch_extra(watch.renderer, NEW) and "api-2026" in watch.extra
    (stop,) = steps_of(done, "stop-old")
    assert stop.release == OLD and stop.drain == 2.0


def test_compose_recreate_stops_the_old_project_first_at_once() -> None:
    sims = compose_on_old()
    done = deployed(sims, **COMPOSE, strategy="recreate")
    assert done.steps("web1")[2:] == [
        "pull", "stop-old", "start", "check", "switch", "record", "prune-images",
    ]  # fmt: skip
    (stop,) = steps_of(done, "stop-old")
    assert stop.release == OLD and stop.drain == 0


def test_a_compose_revert_made_twice_brings_the_old_project_back() -> None:
    sims = compose_on_old()
    sims.fail("web1", "check")
    sims.fail("web1", "rollback")
    done = run(sims, settings(["web1"], **COMPOSE))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.steps("web1")[-3:] == ["rollback", "rollback-2", "record"]
    (revert,) = steps_of(done, "rollback-2")
    assert (revert.old_release, revert.new_release) == (OLD, NEW)
    assert sims.hosts["web1"].serving == OLD and sims.hosts["web1"].running_of(NEW) == []


def test_a_first_compose_deploy_put_back_removes_the_new_project() -> None:
    sims = MemoryFleet(["web1"])
    sims.fail("web1", "check")
    done = run(sims, settings(["web1"], **COMPOSE))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    (revert,) = steps_of(done, "rollback")
    assert (revert.old_release, revert.new_release) == ("", NEW)
    assert sims.hosts["web1"].running_of(NEW) == []


def test_a_compose_revert_where_the_old_project_is_gone_only_removes_the_new_one() -> None:
    sims = compose_on_old()
    sim = sims.hosts["web1"]
    sim.containers = {n: v for n, v in sim.containers.items() if v[0] != OLD}
    sims.fail("web1", "check")
    done = run(sims, settings(["web1"], **COMPOSE))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    (revert,) = steps_of(done, "rollback")
    assert (revert.old_release, revert.new_release) == ("", NEW)
    assert sim.running_of(NEW) == []
