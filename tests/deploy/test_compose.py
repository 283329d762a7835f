"""compose-file: a two-service app, one docker compose project per release, through real
OpenSSH, dockerd (Compose v2 plugin), nginx and the registry."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.deploy import compose
from shipyard.deploy.local_files import confined
from shipyard.runtime import InputError
from tests.deploy.conftest import App, new_app_name
from tests.services import deploy_hosts
from tests.services.base_images import BaseImage
from tests.services.deploy_hosts import DeployHost, SampleApp
from tests.services.loadgen import LoadGenerator, fetch

COMPOSE = """\
services:
  web:
    image: ${SHIPYARD_IMAGE}
    expose: ["8080"]
    environment:
      APP_GREETING: ${APP_GREETING}
    depends_on: [side]
  side:
    image: %s
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
"""


def _workspace(tmp_path: Path, base_image: BaseImage) -> Path:
    workspace = tmp_path / "workspace"
    (workspace / "deploy").mkdir(parents=True, exist_ok=True)
    (workspace / "deploy" / "compose.yml").write_text(
        COMPOSE % base_image.local_refs["linux/amd64"]
    )
    return workspace


def _inputs(**more: str) -> dict[str, str]:
    return {"compose-file": "deploy/compose.yml", "env": "APP_GREETING=hello-compose", **more}


def _projects(host: DeployHost, app: str, *, running: bool) -> dict[str, list[str]]:
    """release -> container names of the app's compose projects on the host."""
    args = ["ps", "--filter", f"label=shipyard.app={app}", "--format"]
    fmt = '{{.Label "shipyard.release"}} {{.Label "com.docker.compose.service"}} {{.Names}}'
    listed = host.docker(*args, fmt, *([] if running else ["--all"])).stdout.split("\n")
    found: dict[str, list[str]] = {}
    for line in filter(None, listed):
        release, _service, name = line.split()
        found.setdefault(release, []).append(name)
    return {k: sorted(v) for k, v in found.items()}


def _remove_projects(host: DeployHost, app: str) -> None:
    host.remove_app(app)
    listed = host.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    mine = [n for n in listed if n.startswith(f"{app}-")]
    if mine:
        host.docker("network", "rm", *mine)


@pytest.fixture
def compose_app(
    deploy_host: DeployHost, sample_app: SampleApp, base_image: BaseImage, tmp_path: Path
) -> Iterator[tuple[App, dict[str, str]]]:
    name = new_app_name()
    created = App(name, [deploy_host], sample_app, tmp_path)
    created.urls[deploy_host.name] = deploy_host.add_site(name)
    env = {"GITHUB_WORKSPACE": str(_workspace(tmp_path, base_image))}
    yield created, env
    _remove_projects(deploy_host, name)


def test_two_services_v1_then_v2_blue_green_under_load_then_rollback(
    compose_app: tuple[App, dict[str, str]],
) -> None:
    app, env = compose_app
    host = app.hosts[0]
    first = app.deploy("v1", _inputs(), runner_env=env)
    assert first.code == 0, first.log
    assert fetch(app.url) == "v1"
    one = first.outputs["release"]
    assert "APP_GREETING" in fetch(app.url + "env-names").split()  # the env reached web
    assert _projects(host, app.name, running=True) == {
        one: [f"{compose.project(app.name, one)}-side-1", f"{compose.project(app.name, one)}-web-1"]
    }
    kept = host.home / ".shipyard" / app.name / "compose" / one
    assert (kept / "compose.yml").stat().st_mode & 0o777 == 0o600
    assert "hello-compose" not in (kept / "compose.yml").read_text()
    assert "hello-compose" not in (kept / "shipyard.yml").read_text()

    with LoadGenerator(app.url, threads=4, max_requests=30000, max_seconds=90) as load:
        assert load.wait_for(300)
        second = app.deploy("v2", _inputs(), runner_env=env)
        load.wait_for(load.count() + 300)
    assert second.code == 0, second.log
    assert load.result.failed == 0, load.result.errors
    assert load.result.versions() == ["v1", "v2"]
    assert load.result.answers[-1] == "v2"
    two = second.outputs["release"]
    # v2's project serves; v1's was stopped after the watch and is kept for a rollback.
    assert sorted(_projects(host, app.name, running=True)) == [two]
    assert sorted(_projects(host, app.name, running=False)) == sorted([one, two])
    steps = [s["name"] for s in json.loads(second.outputs["hosts"])[0]["steps"]]
    assert steps[-3:] == ["stop-old", "record", "prune-images"]

    # A rollback must be told it is a compose app (it changes nothing when it is not).
    wrong = app.deploy("v2", {"mode": "rollback"}, runner_env=env)
    assert wrong.code == 3, wrong.log
    assert "deployed with compose-file" in wrong.log
    assert sorted(_projects(host, app.name, running=True)) == [two]
    back = app.deploy("v2", _inputs(mode="rollback"), runner_env=env)
    assert back.code == 0, back.log
    assert back.outputs["release"] == one
    assert fetch(app.url) == "v1"
    assert sorted(_projects(host, app.name, running=True)) == [one]


def test_unhealthy_v3_rolls_back_to_the_v2_project(
    compose_app: tuple[App, dict[str, str]],
) -> None:
    """Once a flake (17 HTTP 502s under a fully loaded CI run). The cause: nginx applies a
    reload asynchronously, and the first deploy returned while nginx still routed to the
    placeholder upstream, so the load that started right after it got 502s. Here the reload
    reaches nginx 2 s late, as on a loaded host: the switch must wait until nginx runs the
    new upstream."""
    app, env = compose_app
    host = app.hosts[0]
    reload = host.proxy_inputs(app.name)["proxy-reload"]
    late = {"proxy-reload": f"(sleep 2; {reload}) </dev/null >/dev/null 2>&1 &"}
    good = app.deploy("v2", _inputs(**late), runner_env=env)
    assert good.code == 0, good.log
    assert fetch(app.url) == "v2"  # nginx routes to v2 as soon as the deploy is done
    upstream = host.home / "nginx" / "conf.d" / f"{app.name}.upstream.conf"
    before = upstream.read_text()
    (web,) = [n for n in host.containers(app.name) if n.endswith("-web-1")]
    state = "{{.State.StartedAt}} {{json .NetworkSettings.Ports}}"
    started = host.docker("inspect", "--format", state, web).stdout
    with LoadGenerator(app.url, threads=2, max_requests=30000, max_seconds=90) as load:
        assert load.wait_for(100)
        bad = app.deploy("v3", _inputs(**late, **{"health-timeout": "2s"}), runner_env=env)
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    assert load.result.failed == 0, load.result.errors
    assert load.result.versions() == ["v2"]
    assert fetch(app.url) == "v2"
    (result,) = json.loads(bad.outputs["hosts"])
    (failed,) = [s for s in result["steps"] if not s["ok"]]
    assert failed["name"] == "check" and "unhealthy" in failed["tail"]
    # v2's project was never stopped: the revert left its container (not restarted, same
    # published port) and the upstream as they were.
    assert host.docker("inspect", "--format", state, web).stdout == started
    assert upstream.read_text() == before
    # v3's project is gone (containers and network); v2's serves.
    assert _projects(host, app.name, running=False) == _projects(host, app.name, running=True)
    assert sorted(_projects(host, app.name, running=True)) == [good.outputs["release"]]
    networks = host.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert not [
        n for n in networks if n.startswith(compose.project(app.name, bad.outputs["release"]))
    ]


def test_pruned_project_is_brought_up_again_from_its_kept_files(
    compose_app: tuple[App, dict[str, str]],
) -> None:
    app, env = compose_app
    host = app.hosts[0]
    one = app.deploy("v1", _inputs(), runner_env=env)
    two = app.deploy("v2", _inputs(**{"keep-releases": "1"}), runner_env=env)
    assert one.code == two.code == 0, two.log
    # keep-releases 1: v1's project was removed with `docker compose down`.
    assert sorted(_projects(host, app.name, running=False)) == [two.outputs["release"]]
    networks = host.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert f"{compose.project(app.name, one.outputs['release'])}_default" not in networks
    back = app.deploy(
        "v2", _inputs(mode="rollback", **{"to-release": one.outputs["release"]}), runner_env=env
    )
    assert back.code == 0, back.log
    steps = [s["name"] for s in json.loads(back.outputs["hosts"])[0]["steps"]]
    assert "pull" in steps and "start" in steps
    assert fetch(app.url) == "v1"
    assert sorted(_projects(host, app.name, running=True)) == [one.outputs["release"]]


def test_turning_unhealthy_during_the_watch_puts_the_old_project_back(
    compose_app: tuple[App, dict[str, str]],
) -> None:
    app, env = compose_app
    good = app.deploy("v2", _inputs(), runner_env=env)
    assert good.code == 0, good.log
    # v4's /cgi-bin/health answers 200 four times (the check, three of the watch), then 503.
    watch = {"monitor-interval": "1s", "health-path": "/cgi-bin/health"}
    bad = app.deploy("v4", _inputs(monitor="20s", **watch), runner_env=env)
    assert bad.code == 1, bad.log
    (result,) = json.loads(bad.outputs["hosts"])
    names = [s["name"] for s in result["steps"]]
    watches = [(s["name"], s["ok"]) for s in result["steps"] if s["name"].startswith("watch-")]
    assert watches == [("watch-1", True), ("watch-2", True), ("watch-3", True), ("watch-4", False)]
    assert names[names.index("watch-4") + 1] == "rollback"
    assert fetch(app.url) == "v2"
    assert sorted(_projects(app.hosts[0], app.name, running=False)) == [good.outputs["release"]]


def test_secrets_reach_the_service_but_no_command_line_log_or_file(
    compose_app: tuple[App, dict[str, str]],
) -> None:
    from tests.deploy.test_security import _PsWatcher

    app, env = compose_app
    host = app.hosts[0]
    secret = "s3cr3t-" + secrets.token_hex(12)
    before = host.ssh.log.stat().st_size
    with _PsWatcher() as ps:
        result = app.deploy("v1", _inputs(env=f"APP_GREETING={secret}"), runner_env=env)
    assert result.code == 0, result.log
    assert any("docker compose" in line for line in ps.lines), "the watcher saw the deploy"
    (web,) = [n for n in host.containers(app.name) if n.endswith("-web-1")]
    config = host.docker("inspect", "--format", "{{json .Config.Env}}", web).stdout
    assert f"APP_GREETING={secret}" in config
    assert secret not in result.visible
    assert not [line for line in ps.lines if secret in line]
    assert secret not in host.ssh.log.read_bytes()[before:].decode(errors="replace")
    state = host.home / ".shipyard" / app.name
    assert not [f for f in state.rglob("*") if f.is_file() and secret in f.read_text()]


def test_a_second_service_that_fails_rolls_the_release_back(
    compose_app: tuple[App, dict[str, str]], tmp_path: Path
) -> None:
    app, env = compose_app
    good = app.deploy("v1", _inputs(), runner_env=env)
    assert good.code == 0, good.log
    # The same app, but its side service dies 1 s after it starts: the web service is healthy,
    # the release is not (caught by the check or by the first check of the watch).
    path = Path(env["GITHUB_WORKSPACE"]) / "deploy" / "compose.yml"
    path.write_text(path.read_text().replace("while :; do sleep 1; done", "sleep 1; exit 3"))
    bad = app.deploy("v2", _inputs(monitor="5s", **{"monitor-interval": "2s"}), runner_env=env)
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    assert "service-down side exited Exited (3)" in bad.log
    assert fetch(app.url) == "v1"
    assert sorted(_projects(app.hosts[0], app.name, running=True)) == [good.outputs["release"]]


# -- a host without docker compose v2 ----------------------------------------------------------
NO_COMPOSE_DOCKER = """#!/bin/sh
# This host's docker CLI has no compose plugin (as Debian bookworm's docker.io alone).
if [ "${1:-}" = compose ]; then
  echo "docker: 'compose' is not a docker command." >&2
  exit 1
fi
exec /usr/bin/docker "$@"
"""


@pytest.fixture
def no_compose_host(
    docker_engine: object, testbed_session_dir: Path, request: pytest.FixtureRequest
) -> Iterator[DeployHost]:
    directory = testbed_session_dir / "deploy-hosts" / ("nocompose-" + request.node.name[:30])
    bin_dir = directory.with_name(directory.name + "-bin")
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "docker").write_text(NO_COMPOSE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    host = deploy_hosts.start_loopback_host(
        directory,
        name="nocompose",
        environment={
            "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        },
    )
    yield host
    deploy_hosts.stop_host(host)


def test_a_host_without_compose_v2_is_refused_before_any_change(
    no_compose_host: DeployHost, sample_app: SampleApp, base_image: BaseImage, tmp_path: Path
) -> None:
    name = new_app_name()
    app = App(name, [no_compose_host], sample_app, tmp_path)
    app.urls[no_compose_host.name] = no_compose_host.add_site(name)
    env = {"GITHUB_WORKSPACE": str(_workspace(tmp_path, base_image))}
    upstream = no_compose_host.home / "nginx" / "conf.d" / f"{name}.upstream.conf"
    before = upstream.read_text() if upstream.exists() else None
    result = app.deploy("v1", _inputs(), runner_env=env)
    assert result.code == 2, result.log
    assert "docker compose v2" in result.visible and "nocompose" in result.visible
    state = no_compose_host.home / ".shipyard" / name
    assert not (state / "lock").exists()  # not even locked
    assert not (state / "compose").exists()
    assert (upstream.read_text() if upstream.exists() else None) == before
    assert no_compose_host.containers(name, all_states=True) == []
    # The same deploy without compose-file works on that host: only compose was missing.
    plain = app.deploy("v1", runner_env=env)
    assert plain.code == 0, plain.log
    no_compose_host.remove_app(name)


# -- inputs (no host needed) -------------------------------------------------------------------
def test_compose_inputs_are_checked(tmp_path: Path) -> None:
    text = COMPOSE % "busybox"
    parsed = compose.parse(text, 8080, None)
    assert (parsed.service, parsed.publishes) == ("web", False)
    override = json.loads(parsed.override("api", "20261130-r7.2", 8080))
    assert override["services"]["web"]["ports"] == ["127.0.0.1::8080"]
    assert override["services"]["side"]["labels"]["shipyard.role"] == "service"
    assert compose.project("api", "20261130-r7.2") == "api-20261130-r7-2"
    with pytest.raises(InputError, match="publishes host port 8080"):
        compose.parse(text.replace('expose: ["8080"]', 'ports: ["8080:8080"]'), 8080, None)
    with pytest.raises(InputError, match="compose-service"):
        compose.parse(text.replace('expose: ["8080"]', 'expose: ["9000"]'), 8080, None)
    with pytest.raises(InputError, match="SHIPYARD_IMAGE"):
        compose.parse(text.replace("${SHIPYARD_IMAGE}", "nginx"), 8080, None)
    assert compose.parse(text, 8080, "side").service == "side"
    # Confined to the workspace: no '..', no absolute path outside, no symlink out.
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "outside.yml").write_text(text)
    os.symlink(tmp_path / "outside.yml", workspace / "link.yml")
    for path in ("../outside.yml", str(tmp_path / "outside.yml"), "link.yml"):
        with pytest.raises(InputError, match="outside the workspace"):
            confined(path, str(workspace))


def test_rolling_with_a_compose_file_is_an_input_error(app: App) -> None:
    result = app.deploy("v1", _inputs(strategy="rolling"))
    assert result.code == 2, result.log
    assert "strategy" in result.visible and "single-image" in result.visible


def test_compose_scripts_are_valid_bash_and_pass_shellcheck(tmp_path: Path) -> None:
    from shipyard.deploy import compose_steps as cs
    from shipyard.deploy import steps as st
    from shipyard.deploy.releases import LockHolder
    from tests.deploy.test_pure import EVIL, _remote, assert_valid_bash

    remote = _remote(compose=True, replicas=1)
    parsed = compose.parse(COMPOSE % EVIL.replace("'", ""), 8080, None)
    env = {"SECRET": EVIL}
    steps: dict[str, st.RemoteStep[object]] = {
        "lock": st.Lock(remote, LockHolder("i", "u", EVIL, 0, 60, "r1"), cs.COMPOSE_V2_CHECK),
        "start": cs.ComposeStart(remote, parsed, env, "r1.2", EVIL),
        "restart": cs.ComposeStart(remote, None, env, "r1", "img"),
        "stop": cs.ComposeStop(remote, "r0", 1.0, '{"event": "x"}'),
        "bring-back": cs.ComposeBringBack(remote, "r0"),
        "revert": cs.ComposeRevert(remote, "r0", "r1"),
        "revert-first": cs.ComposeRevert(remote, "", "r1"),
        "check": cs.ComposeCheck(remote, "r1", ["api-r1-web-1"]),
        "watch": st.Watch(remote, ["n"], "/var/log/x.log", 0, 1, cs.watch_extra(remote, "r1")),
        "record": st.Record(remote, "{}", "{}", "r1", 5),
    }  # type: ignore[dict-item]
    texts = {name: step.script() for name, step in steps.items()}
    assert_valid_bash(texts, tmp_path)
    # The secret is only in an export of the script (stdin), shell-quoted, never an argument.
    start = texts["start"]
    (line,) = [x for x in start.splitlines() if "SECRET=" in x]
    assert line.strip().startswith("export SECRET=")
    assert "docker compose" in start and "--env-file" not in start
