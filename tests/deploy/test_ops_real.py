"""Running the app after the deploy, and the disk check, through real OpenSSH, dockerd, nginx
and the registry: modes exec, logs, status and maintenance on the loopback host; the image's
size from the registry; a host without room refused before any change."""

from __future__ import annotations

import http.client
import json
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from shipyard.deploy.registry import image_size
from shipyard.runtime import HttpClient, RetryPolicy
from tests.deploy.conftest import App
from tests.services.deploy_hosts import SampleApp, remove_local_images
from tests.services.loadgen import LoadGenerator, fetch


def _details(result: object) -> list[dict[str, object]]:
    return list(json.loads(getattr(result, "outputs")["details"]))  # noqa: B009


def _get(url: str) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=10)
    conn.request("GET", parts.path or "/")
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def test_exec_runs_in_the_live_container_and_reports_its_exit_code(app: App) -> None:
    assert app.deploy("v1").code == 0
    proof = f"/tmp/shipyard-exec-{secrets.token_hex(6)}"
    command = f"touch {proof}; echo \"version $APP_VERSION in $(hostname)\"; echo '::error::x'"
    ran = app.deploy("v1", mode="exec", command=command)
    assert ran.code == 0, ran.log
    (detail,) = _details(ran)
    (name,) = app.hosts[0].containers(app.name)
    assert detail["container"] == name and detail["exit"] == 0
    assert "version v1 in" in ran.summary and "::error::x" in ran.summary
    assert not ran.annotations("error")  # the container's output issued no command
    # It ran in the container, never on the host.
    assert not Path(proof).exists()
    assert app.hosts[0].docker("exec", name, "test", "-e", proof).returncode == 0
    failed = app.deploy("v1", mode="exec", command="echo broken >&2; exit 3")
    assert failed.code == 1, failed.log
    assert _details(failed)[0]["exit"] == 3 and failed.outputs["status"] == "failed"
    assert "broken" in failed.summary and "Command failed" in failed.log


def test_exec_on_one_host_of_the_fleet_leaves_the_others_alone(fleet: App) -> None:
    """exec-host on the namespace hosts (each its own dockerd): the command runs in the live
    container of that host only, and only that host is reported."""
    app = fleet
    assert app.deploy("v1").code == 0
    one = app.hosts[1]
    proof = f"/tmp/shipyard-exec-{secrets.token_hex(6)}"
    ran = app.deploy("v1", mode="exec", command=f"touch {proof}", **{"exec-host": one.name})
    assert ran.code == 0, ran.log
    assert [d["host"] for d in _details(ran)] == [one.name]
    for host in app.hosts:
        (name,) = host.containers(app.name)
        assert (host.docker("exec", name, "test", "-e", proof).returncode == 0) == (host is one)


def test_logs_bring_the_live_releases_lines(app: App) -> None:
    first = app.deploy("v2")
    assert first.code == 0
    logs = app.deploy("v2", mode="logs", **{"log-lines": "5", "log-since": "1h"})
    assert logs.code == 0, logs.log
    (detail,) = _details(logs)
    (name,) = app.hosts[0].containers(app.name)
    assert detail["release"] == first.outputs["release"] and detail["lines"] == {name: 1}
    assert "sample-app v2 listening on 8080" in logs.summary
    none = app.deploy("v2", mode="logs", **{"log-since": "2999-01-01T00:00:00Z"})
    assert none.code == 0 and _details(none)[0]["lines"] == {name: 0}


def test_status_reports_each_host_as_json_without_taking_the_lock(
    app: App, sample_app: SampleApp
) -> None:
    one, two = app.deploy("v1"), app.deploy("v2")
    assert one.code == two.code == 0
    status = app.deploy("v2", mode="status")
    assert status.code == 0, status.log
    (detail,) = _details(status)
    assert detail["live-release"] == two.outputs["release"]
    assert detail["previous-release"] == one.outputs["release"]
    assert detail["digest"] == sample_app.refs["v2"]
    (container,) = detail["containers"]  # type: ignore[misc]
    assert container["state"] == "running" and container["health"] == "200"
    assert isinstance(container["uptime"], int) and container["uptime"] >= 0
    assert detail["lock"] == {"held": False} and detail["maintenance"] == "off"
    # Another run's lock is reported, and left alone.
    lock = app.hosts[0].home / ".shipyard" / app.name / "lock"
    lock.mkdir()
    holder = {"id": "x", "run_url": "https://github.example/o/r/runs/7", "actor": "hubot",
              "started": 1.0, "ttl": 60.0, "release": "r9"}  # fmt: skip
    (lock / "holder.json").write_text(json.dumps(holder))
    try:
        held = app.deploy("v2", mode="status")
        assert held.code == 0, held.log
        found = _details(held)[0]["lock"]
        assert isinstance(found, dict)
        assert (found["held"], found["holder"], found["stale"]) == (True, holder["run_url"], True)
        assert lock.exists()
    finally:
        (lock / "holder.json").unlink()
        lock.rmdir()


def test_maintenance_answers_503_with_the_page_and_a_deploy_keeps_it_on(
    app: App, tmp_path: Path
) -> None:
    assert app.deploy("v1").code == 0
    page = Path(app.tmp_path) / "maintenance.html"
    page.write_text("<h1>Back at noon</h1>\n")
    workspace = {"GITHUB_WORKSPACE": str(app.tmp_path)}
    on = app.deploy("v1", {"mode": "maintenance", "maintenance": "on",
                           "maintenance-page": "maintenance.html", "retry-after": "2m"},
                    runner_env=workspace)  # fmt: skip
    assert on.code == 0, on.log
    answer = _get(app.url + "orders")
    assert answer.status == 503 and answer.getheader("Retry-After") == "120"
    assert b"Back at noon" in answer.body  # type: ignore[attr-defined]
    assert len(app.hosts[0].containers(app.name)) == 1  # the app runs on
    # A deploy behind the maintenance page: the new release is checked and switched to, the
    # page stays.
    deployed = app.deploy("v2", monitor="2s", **{"monitor-interval": "1s"})
    assert deployed.code == 0, deployed.log
    assert _get(app.url).status == 503
    assert _details(app.deploy("v2", mode="status"))[0]["maintenance"] == "on"
    with LoadGenerator(app.url, threads=2, max_requests=20_000, max_seconds=60) as load:
        assert load.wait_for(200)
        off = app.deploy("v2", mode="maintenance", maintenance="off")
        assert load.wait_for(load.count() + 200)
    assert off.code == 0, off.log
    assert load.result.answers and load.result.answers[-1] == "v2"
    assert set(load.result.errors) <= {"HTTP 503"}  # the page until the switch, then v2
    assert fetch(app.url) == "v2"
    conf = app.hosts[0].home / "nginx" / "conf.d"
    assert not (conf / f"{app.name}.maintenance.conf").exists()
    audit = (app.hosts[0].home / ".shipyard" / app.name / "audit.log").read_text()
    events = [json.loads(line)["event"] for line in audit.splitlines()]
    assert events == ["deployed", "maintenance-on", "deployed", "maintenance-off"]


def test_a_host_without_room_for_the_image_is_refused_before_any_change(fleet: App) -> None:
    """On the namespace hosts (each its own dockerd): the image is not there yet, so the
    pull needs room; asking for more than any disk has stops the run on every host."""
    app = fleet
    assert app.deploy("v1").code == 0
    remove_local_images(app.sample, app.hosts)  # v1 runs on; no sample-app image is tagged
    refused = app.deploy("v2", **{"min-free-space": "1000T"})
    assert refused.code == 3, refused.log
    text = refused.visible
    assert "Not enough disk space" in text and "Nothing was changed" in text
    for host in app.hosts:
        assert f"{host.name}: docker's data root " in text
        assert fetch(app.urls[host.name]) == "v1"
        assert len(host.containers(app.name, all_states=True)) == 1
        assert not (host.home / ".shipyard" / app.name / "lock").exists()
    # An image already on the host needs no room.
    assert app.deploy("v2").code == 0
    again = app.deploy("v2", **{"min-free-space": "1000T"})
    assert again.code == 0, again.log


def test_the_image_size_comes_from_the_registry_manifest(sample_app: SampleApp) -> None:
    registry = sample_app.registry
    http = HttpClient(retry=RetryPolicy(attempts=1))
    size, problem = image_size(http, sample_app.refs["v1"], registry.username,
                               registry.password, lambda _secret: None)  # fmt: skip
    assert problem == "" and size is not None and 1000 < size < 50 * 1024**2
    tag_size, _ = image_size(http, sample_app.tags["v1"], registry.username, registry.password,
                             lambda _secret: None)  # fmt: skip
    assert tag_size == size
    none, why = image_size(http, sample_app.refs["v1"], registry.username, "wrong",
                           lambda _secret: None)  # fmt: skip
    assert none is None and why == "the registry answered HTTP 401"
