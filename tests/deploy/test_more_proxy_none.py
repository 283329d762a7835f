"""proxy: none: the action starts, checks, records and stops releases but never touches nginx
(the app is reached some other way: here, straight at the containers' published ports)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.deploy.conftest import App
from tests.services.deploy_hosts import DeployHost
from tests.services.loadgen import fetch


def _none(app: App, **more: str) -> dict[str, str]:
    """proxy none, with reload and check commands that would leave a mark if they ran."""
    return {
        "proxy": "none",
        "proxy-reload": f'touch "$HOME/{app.name}.reloaded"',
        "proxy-check": f'touch "$HOME/{app.name}.checked"',
        "url": f"https://{app.name}.example/",
        **more,
    }


def _upstream(host: DeployHost, app: str) -> Path:
    return host.home / "nginx" / "conf.d" / f"{app}.upstream.conf"


def _answer(host: DeployHost, container: str) -> str | None:
    """What the container answers on its own published port (not through nginx)."""
    published = host.docker("port", container, "8080/tcp").stdout.split()
    return fetch(f"http://{published[0]}/") if published else None


def _nginx_untouched(app: App, before: tuple[str, int]) -> None:
    host = app.hosts[0]
    upstream = _upstream(host, app.name)
    assert (upstream.read_text(), upstream.stat().st_mtime_ns) == before
    assert not (host.home / f"{app.name}.reloaded").exists()
    assert not (host.home / f"{app.name}.checked").exists()
    assert fetch(app.url) is None  # nginx still routes to its placeholder (a 502)


def test_blue_green_without_a_proxy(app: App) -> None:
    host = app.hosts[0]
    upstream = _upstream(host, app.name)
    before = (upstream.read_text(), upstream.stat().st_mtime_ns)
    first = app.deploy("v1", _none(app))
    assert first.code == 0, first.log
    assert first.outputs["status"] == "deployed"
    assert first.outputs["url"] == f"https://{app.name}.example/"
    one = first.outputs["release"]
    assert host.containers(app.name) == [f"{app.name}-{one}-1"]
    assert _answer(host, f"{app.name}-{one}-1") == "v1"

    second = app.deploy("v2", _none(app, monitor="3s"))
    assert second.code == 0, second.log
    two = second.outputs["release"]
    assert second.outputs["previous-release"] == one
    (result,) = json.loads(second.outputs["hosts"])
    names = [s["name"] for s in result["steps"]]
    # Started beside the old, checked, watched, and only then the old one stopped.
    assert names.index("start") < names.index("check") < names.index("watch-1")
    assert names.index("watch-1") < names.index("stop-old") < names.index("record")
    assert host.containers(app.name) == [f"{app.name}-{two}-1"]
    assert host.containers(app.name, all_states=True) == sorted(
        [f"{app.name}-{one}-1", f"{app.name}-{two}-1"]
    )
    assert _answer(host, f"{app.name}-{two}-1") == "v2"
    state = host.home / ".shipyard" / app.name
    assert (state / "current").read_text().strip() == two
    assert json.loads((state / "releases" / f"{two}.json").read_text())["result"] == "deployed"

    # An unhealthy release is removed; the one running keeps running.
    bad = app.deploy("v3", _none(app, **{"health-timeout": "2s"}))
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    assert host.containers(app.name) == [f"{app.name}-{two}-1"]
    assert _answer(host, f"{app.name}-{two}-1") == "v2"
    assert (state / "current").read_text().strip() == two
    _nginx_untouched(app, before)


def test_rolling_without_a_proxy(app: App) -> None:
    host = app.hosts[0]
    upstream = _upstream(host, app.name)
    before = (upstream.read_text(), upstream.stat().st_mtime_ns)
    rolling = {"strategy": "rolling", "replicas": "2"}
    first = app.deploy("v1", _none(app, **rolling))
    assert first.code == 0, first.log
    second = app.deploy("v2", _none(app, **rolling))
    assert second.code == 0, second.log
    two = second.outputs["release"]
    (result,) = json.loads(second.outputs["hosts"])
    assert [s["name"] for s in result["steps"] if s["name"].startswith("replica-")] == [
        "replica-1",
        "replica-2",
    ]
    running = host.containers(app.name)
    assert running == [f"{app.name}-{two}-1", f"{app.name}-{two}-2"]
    assert [_answer(host, name) for name in running] == ["v2", "v2"]
    assert len(host.containers(app.name, all_states=True)) == 4  # v1's kept, stopped
    _nginx_untouched(app, before)
