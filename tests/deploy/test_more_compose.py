"""recreate (with and without compose-file), and a compose app on two hosts in network
namespaces, through real OpenSSH, dockerd (Compose v2), nginx and the registry."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from subprocess import PIPE, STDOUT, Popen

import pytest

from shipyard.deploy import compose
from shipyard.deploy.spec import SPEC
from tests.deploy.conftest import App, new_app_name
from tests.services._common import wait_until
from tests.services.deploy_hosts import DeployHost, SampleApp
from tests.services.loadgen import fetch

# Both services from the app's image (it has a shell): no other image for the hosts to pull.
COMPOSE = """\
services:
  web:
    image: ${SHIPYARD_IMAGE}
    expose: ["8080"]
    depends_on: [side]
  side:
    image: ${SHIPYARD_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
"""


def _workspace(tmp_path: Path) -> dict[str, str]:
    workspace = tmp_path / "workspace"
    (workspace / "deploy").mkdir(parents=True, exist_ok=True)
    (workspace / "deploy" / "compose.yml").write_text(COMPOSE)
    return {"GITHUB_WORKSPACE": str(workspace)}


def _projects(host: DeployHost, app: str, *, running: bool) -> dict[str, list[str]]:
    """release -> container names of the app's compose projects on the host."""
    fmt = '{{.Label "shipyard.release"}} {{.Names}}'
    args = ["ps", "--filter", f"label=shipyard.app={app}", "--format", fmt]
    listed = host.docker(*args, *([] if running else ["--all"])).stdout.split("\n")
    found: dict[str, list[str]] = {}
    for line in filter(None, listed):
        release, name = line.split()
        found.setdefault(release, []).append(name)
    return {k: sorted(v) for k, v in found.items()}


def _networks(host: DeployHost, app: str) -> list[str]:
    listed = host.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    return [n for n in listed if n.startswith(f"{app}-")]


def _remove(host: DeployHost, app: str) -> None:
    host.remove_app(app)
    mine = _networks(host, app)
    if mine:
        host.docker("network", "rm", *mine)


def _time(host: DeployHost, name: str, field: str) -> datetime:
    """A container's time (``.Created``, ``.State.FinishedAt``) as dockerd recorded it."""
    text = host.docker("inspect", "--format", "{{" + field + "}}", name).stdout.strip()
    whole, _, rest = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole + "." + (rest + "000000")[:6])


def _steps(result_hosts: str) -> list[str]:
    (result,) = json.loads(result_hosts)
    return [s["name"] for s in result["steps"]]


def _audit(host: DeployHost, app: str) -> list[str]:
    log = host.home / ".shipyard" / app / "audit.log"
    return [json.loads(line)["event"] for line in log.read_text().splitlines()]


@pytest.fixture
def compose_app(
    deploy_host: DeployHost, sample_app: SampleApp, tmp_path: Path
) -> Iterator[tuple[App, dict[str, str]]]:
    name = new_app_name()
    created = App(name, [deploy_host], sample_app, tmp_path)
    created.urls[deploy_host.name] = deploy_host.add_site(name)
    yield created, _workspace(tmp_path)
    _remove(deploy_host, name)


RECREATE = {"compose-file": "deploy/compose.yml", "strategy": "recreate"}


def test_recreate_with_compose_stops_the_old_project_first_and_brings_it_back(
    compose_app: tuple[App, dict[str, str]],
) -> None:
    app, env = compose_app
    host = app.hosts[0]
    first = app.deploy("v1", RECREATE, runner_env=env)
    assert first.code == 0, first.log
    one = first.outputs["release"]
    assert fetch(app.url) == "v1"

    second = app.deploy("v2", RECREATE, runner_env=env)
    assert second.code == 0, second.log
    two = second.outputs["release"]
    assert fetch(app.url) == "v2"
    names = _steps(second.outputs["hosts"])
    assert names.count("stop-old") == 1
    assert names.index("stop-old") < names.index("start") < names.index("check")
    assert names.index("check") < names.index("switch")
    # dockerd's own record: every container of v1 ended before any of v2 was created.
    old, new = (_projects(host, app.name, running=False)[r] for r in (one, two))
    ended = max(_time(host, n, ".State.FinishedAt") for n in old)
    assert ended < min(_time(host, n, ".Created") for n in new)
    assert _projects(host, app.name, running=True) == {two: new}  # v1's kept, stopped

    bad = app.deploy("v3", {**RECREATE, "health-timeout": "2s"}, runner_env=env)
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    steps = _steps(bad.outputs["hosts"])
    assert steps.index("stop-old") < steps.index("start") < steps.index("rollback")
    assert fetch(app.url) == "v2"
    assert _projects(host, app.name, running=True) == {two: new}
    assert sorted(_projects(host, app.name, running=False)) == sorted([one, two])
    assert not [
        n
        for n in _networks(host, app.name)
        if n.startswith(compose.project(app.name, bad.outputs["release"]))
    ]
    assert _audit(host, app.name) == ["deployed", "deployed", "rolled-back"]


def test_recreate_failure_starts_the_old_containers_again(app: App) -> None:
    host = app.hosts[0]
    recreate = {"strategy": "recreate", "replicas": "2"}
    first = app.deploy("v1", recreate)
    assert first.code == 0, first.log
    one = first.outputs["release"]
    bad = app.deploy("v3", {**recreate, "health-timeout": "2s"})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    steps = _steps(bad.outputs["hosts"])
    assert steps.index("stop-old") < steps.index("start") < steps.index("rollback")
    assert host.containers(app.name, all_states=True) == [f"{app.name}-{one}-{i}" for i in (1, 2)]
    assert host.containers(app.name) == [f"{app.name}-{one}-{i}" for i in (1, 2)]
    assert fetch(app.url) == "v1"


# -- two hosts, each in its own network namespace ------------------------------------------------
@pytest.fixture
def compose_fleet(
    namespace_hosts: list[DeployHost], sample_app: SampleApp, tmp_path: Path
) -> Iterator[tuple[App, dict[str, str]]]:
    hosts = namespace_hosts[:2]
    created = App(new_app_name(), hosts, sample_app, tmp_path)
    for host in hosts:
        created.urls[host.name] = host.add_site(created.name)
    yield created, _workspace(tmp_path)
    for host in hosts:
        _remove(host, created.name)


def test_compose_blue_green_on_two_namespace_hosts(
    compose_fleet: tuple[App, dict[str, str]],
) -> None:
    app, env = compose_fleet
    inputs = {"compose-file": "deploy/compose.yml"}
    first = app.deploy("v1", inputs, runner_env=env)
    assert first.code == 0, first.log
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v1", "v1"]
    second = app.deploy("v2", inputs, runner_env=env)
    assert second.code == 0, second.log
    one, two = first.outputs["release"], second.outputs["release"]
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v2", "v2"]
    for host in app.hosts:
        assert sorted(_projects(host, app.name, running=True)) == [two], host.name
        assert sorted(_projects(host, app.name, running=False)) == sorted([one, two])
        project = compose.project(app.name, two)
        assert _projects(host, app.name, running=True)[two] == [
            f"{project}-side-1",
            f"{project}-web-1",
        ]
    hosts = {h["host"]: h for h in json.loads(second.outputs["hosts"])}
    assert {h["result"] for h in hosts.values()} == {"deployed"}
    # A release that fails on one host is put back on both (max-failures 0, one batch).
    failing = 'case "$HOME" in */ns-host2/*) echo "no backup" >&2; exit 1;; esac'
    bad = app.deploy("v1", {**inputs, "pre-deploy": failing}, runner_env=env)
    assert bad.code == 1, bad.log
    results = {h["host"]: h["result"] for h in json.loads(bad.outputs["hosts"])}
    assert results == {"ns1": "rolled-back", "ns2": "rolled-back"}
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v2", "v2"]
    for host in app.hosts:
        assert sorted(_projects(host, app.name, running=True)) == [two], host.name


def _start_process(app: App, version: str, more: dict[str, str], workspace: str) -> Popen[str]:
    """The action as the bootstrap runs it (as ``App.start_process``), with a workspace."""
    app.runs += 1
    temp = app.tmp_path / f"temp{app.runs}"
    temp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env.update(RUNNER_TEMP=str(temp), GITHUB_RUN_NUMBER=str(app.runs), GITHUB_WORKSPACE=workspace)
    inputs = app.inputs(version, **more)
    env.update({SPEC.input(name).env_name: value for name, value in inputs.items()})
    return Popen(
        [sys.executable, "-m", "shipyard.deploy"], env=env, stdout=PIPE, stderr=STDOUT, text=True
    )


def test_cancel_during_the_watch_puts_the_old_project_back_on_both_hosts(
    compose_fleet: tuple[App, dict[str, str]],
) -> None:
    app, env = compose_fleet
    inputs = {"compose-file": "deploy/compose.yml"}
    first = app.deploy("v1", inputs, runner_env=env)
    assert first.code == 0, first.log
    one = first.outputs["release"]
    watch = {**inputs, "monitor": "120s", "monitor-interval": "1s"}
    process = _start_process(app, "v2", watch, env["GITHUB_WORKSPACE"])
    try:
        serving = lambda: [fetch(app.urls[h.name]) for h in app.hosts]  # noqa: E731
        assert wait_until(lambda: serving() == ["v2", "v2"], 120), "v2 never served"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=180)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 1, output
    assert "cancelled" in output
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v1", "v1"]
    for host in app.hosts:
        # v2's project is down (containers and network); v1's serves; the lock is gone.
        assert _projects(host, app.name, running=False) == _projects(host, app.name, running=True)
        assert sorted(_projects(host, app.name, running=True)) == [one], host.name
        assert _networks(host, app.name) == [f"{compose.project(app.name, one)}_default"]
        assert not (host.home / ".shipyard" / app.name / "lock").exists()
        assert _audit(host, app.name) == ["deployed", "rolled-back"]
    after = app.deploy("v2", {**inputs, "lock-wait": "0s"}, runner_env=env)
    assert after.code == 0, after.log
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v2", "v2"]
