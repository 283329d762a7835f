"""Cancelling a deploy that works on several hosts at once (hosts in network namespaces, each
with its own sshd, dockerd and nginx): every host of the batch gets the old release back,
hosts of later batches are not touched, and every lock is released."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from tests.deploy.conftest import App
from tests.services._common import pid_alive, wait_until
from tests.services.deploy_hosts import DeployHost
from tests.services.loadgen import fetch


def _state(host: DeployHost, app: str) -> Path:
    return host.home / ".shipyard" / app


def _audit(host: DeployHost, app: str) -> list[str]:
    log = _state(host, app) / "audit.log"
    return [json.loads(line)["event"] for line in log.read_text().splitlines()]


def _cancel(process: subprocess.Popen[str]) -> str:
    """SIGTERM, as the runner sends on a cancel; the action's output."""
    try:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
    return output


def _serving(app: App) -> list[str | None]:
    return [fetch(app.urls[h.name]) for h in app.hosts]


def _assert_cancelled_and_put_back(app: App, process: subprocess.Popen[str], output: str) -> None:
    assert process.returncode == 1, output
    assert "cancelled" in output
    # The old release serves on every host; the batch's hosts were put back, ns3 never touched.
    assert _serving(app) == ["v1", "v1", "v1"]
    for host in app.hosts:
        assert not (_state(host, app.name) / "lock").exists(), host.name
        assert all("-r1-" in n for n in host.containers(app.name, all_states=True)), host.name
    assert _audit(app.hosts[0], app.name) == ["deployed", "rolled-back"]
    assert _audit(app.hosts[1], app.name) == ["deployed", "rolled-back"]
    assert _audit(app.hosts[2], app.name) == ["deployed"]
    # Every lock is released: the next deploy does not wait (lock-wait 0).
    after = app.deploy("v2", {"lock-wait": "0s"})
    assert after.code == 0, after.log
    assert _serving(app) == ["v2", "v2", "v2"]


def test_cancel_during_the_watch_of_a_two_host_batch(fleet: App) -> None:
    app = fleet
    first = app.deploy("v1")
    assert first.code == 0, first.log
    assert _serving(app) == ["v1", "v1", "v1"]
    process = app.start_process(
        "v2", {"batch-size": "2", "monitor": "120s", "monitor-interval": "1s"}
    )
    try:
        assert wait_until(lambda: _serving(app)[:2] == ["v2", "v2"], 120), "v2 never served"
    finally:
        output = _cancel(process)
    _assert_cancelled_and_put_back(app, process, output)


def _hook_pid(host: DeployHost, app: str) -> int:
    return int((host.home / f"{app}.pid").read_text())


# The hook records its shell's pid, then would run for ten minutes.
LONG_HOOK = (
    'echo $$ >"$HOME/$SHIPYARD_APP.pid.tmp"; mv "$HOME/$SHIPYARD_APP.pid.tmp" '
    '"$HOME/$SHIPYARD_APP.pid"; sleep 600'
)


def test_cancel_mid_rollout_stops_every_host_of_the_batch_at_once(fleet: App) -> None:
    """The hosts of a batch are worked by threads: a cancel must stop each at its running
    step (on the host too: the remote hook is ended, not left to run) rather than let it go
    on through start, switch and its hooks before it is put back."""
    app = fleet
    assert app.deploy("v1").code == 0
    for host in app.hosts:
        for mark in ("pid", "post"):
            (host.home / f"{app.name}.{mark}").unlink(missing_ok=True)
    process = app.start_process(
        "v2",
        {
            "batch-size": "2",
            "pre-deploy": LONG_HOOK,
            "post-deploy": 'touch "$HOME/$SHIPYARD_APP.post"',
        },
    )
    batch = app.hosts[:2]
    try:
        marks = [h.home / f"{app.name}.pid" for h in batch]
        assert wait_until(lambda: all(m.exists() for m in marks), 120), "pre-deploy not reached"
        hooks = [_hook_pid(h, app.name) for h in batch]
        assert all(pid_alive(pid) for pid in hooks)
    finally:
        output = _cancel(process)
    assert not [pid for pid in hooks if pid_alive(pid)], output
    assert output.count("--- stopped 1 running step(s) on the host") == 2, output
    assert not [h.name for h in app.hosts if (h.home / f"{app.name}.post").exists()], output
    assert not (app.hosts[2].home / f"{app.name}.pid").exists()
    _assert_cancelled_and_put_back(app, process, output)


def test_cancel_of_a_single_host_ends_the_step_running_on_it(app: App) -> None:
    """Ending the local ssh client does not end the script on the host: the cancel stops it
    there before it puts the old release back."""
    host = app.hosts[0]
    assert app.deploy("v1").code == 0
    (host.home / f"{app.name}.pid").unlink(missing_ok=True)
    process = app.start_process("v2", {"pre-deploy": LONG_HOOK})
    try:
        assert wait_until((host.home / f"{app.name}.pid").exists, 120), "pre-deploy not reached"
        pid = _hook_pid(host, app.name)
        assert pid_alive(pid)
    finally:
        output = _cancel(process)
    assert process.returncode == 1, output
    assert not pid_alive(pid), output
    assert fetch(app.url) == "v1"
    assert not (_state(host, app.name) / "lock").exists()
    assert _audit(host, app.name) == ["deployed", "rolled-back"]


def test_a_step_that_times_out_is_ended_on_the_host(app: App) -> None:
    """command-timeout ends the local ssh client; the script on the host is stopped too
    before the old release is put back."""
    host = app.hosts[0]
    assert app.deploy("v1").code == 0
    (host.home / f"{app.name}.pid").unlink(missing_ok=True)
    bad = app.deploy("v2", {"pre-deploy": LONG_HOOK, "command-timeout": "5s"})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    (result,) = json.loads(bad.outputs["hosts"])
    assert "pre-deploy timed out after 5s" in result["error"]
    assert not pid_alive(_hook_pid(host, app.name)), bad.log
    assert "--- stopped 1 running step(s) on the host" in bad.log
    assert fetch(app.url) == "v1"


def test_cancel_of_a_rolling_batch_mid_replica(fleet: App) -> None:
    """rolling, two hosts at once, two replicas each: cancelled while the first new replica
    is in and the old one drains; both hosts get both old replicas back."""
    app = fleet
    rolling = {"strategy": "rolling", "replicas": "2"}
    first = app.deploy("v1", rolling)
    assert first.code == 0, first.log
    one = first.outputs["release"]
    batch = app.hosts[:2]

    def draining() -> bool:
        upstreams = [h.home / "nginx" / "conf.d" / f"{app.name}.upstream.conf" for h in batch]
        return all("-r2" in path.read_text() for path in upstreams)

    process = app.start_process("v2", {**rolling, "batch-size": "2", "drain-timeout": "10m"})
    try:
        assert wait_until(draining, 120), "the first new replica never went in"
    finally:
        output = _cancel(process)
    assert process.returncode == 1, output
    assert output.count("--- stopped 1 running step(s) on the host") == 2, output
    for host in app.hosts:
        assert host.containers(app.name) == [f"{app.name}-{one}-{i}" for i in (1, 2)], host.name
        assert host.containers(app.name, all_states=True) == host.containers(app.name)
        assert not (_state(host, app.name) / "lock").exists()
    assert _serving(app) == ["v1", "v1", "v1"]
    assert _audit(app.hosts[2], app.name) == ["deployed"]
