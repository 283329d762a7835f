"""A host without procps (no ``ps``, ``pgrep`` or ``pkill`` on the deploy user's PATH): the
switch still sees nginx's workers change and a step the run must end is still ended there.
Both read ``/proc`` instead: nginx's workers by their titles, a step by the process group and
start time it recorded in the state dir when it started (so a PID reused since is never
signalled)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import App, new_app_name
from tests.deploy.test_more_cancel import LONG_HOOK, _audit, _cancel, _hook_pid, _state
from tests.services import deploy_hosts, dockerd
from tests.services._common import ServiceUnavailable, pid_alive, wait_until
from tests.services._require import unavailable
from tests.services.deploy_hosts import DeployHost, SampleApp
from tests.services.loadgen import fetch

#: What procps installs (and pidof): none of it is on the host's PATH.
PROCPS = {
    "ps", "pgrep", "pkill", "pidwait", "pidof", "top", "w", "skill", "snice", "pwdx", "pmap",
    "watch", "uptime", "vmstat", "free", "slabtop", "tload", "sysctl", "kill",
}  # fmt: skip
SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
#: A pre-deploy hook that fails unless the remote shell really lacks them.
NO_PROCPS = "! command -v ps && ! command -v pgrep && ! command -v pkill"


def path_without_procps(directory: Path) -> Path:
    """A directory of links to every program of the system's PATH but procps's."""
    directory.mkdir(parents=True, exist_ok=True)
    for folder in map(Path, SYSTEM_PATH):
        if not folder.is_dir():
            continue
        for program in folder.iterdir():
            link = directory / program.name
            if program.name in PROCPS or link.exists() or link.is_symlink():
                continue
            if program.is_file() and os.access(program, os.X_OK):
                link.symlink_to(program.resolve())
    return directory


@pytest.fixture
def bare_app(
    docker_engine: dockerd.DockerEngine,
    testbed_session_dir: Path,
    sample_app: SampleApp,
    tmp_path: Path,
) -> Iterator[App]:
    """An app on a loopback host of the test's own whose sessions have no procps."""
    directory = testbed_session_dir / "deploy-hosts" / "no-procps"
    bin_dir = path_without_procps(tmp_path / "bin")
    try:
        host: DeployHost = deploy_hosts.start_loopback_host(
            directory, name="bare", environment={"PATH": str(bin_dir)}
        )
    except ServiceUnavailable as exc:
        unavailable(exc.service, exc.reason)
    created = App(new_app_name(), [host], sample_app, tmp_path)
    created.urls[host.name] = host.add_site(created.name)
    yield created
    host.remove_app(created.name)
    deploy_hosts.stop_host(host)


def test_the_switch_sees_nginx_apply_the_reload_without_ps(bare_app: App) -> None:
    app = bare_app
    first = app.deploy("v1", {"pre-deploy": NO_PROCPS})
    assert first.code == 0, first.log
    second = app.deploy("v2", {"pre-deploy": NO_PROCPS})
    assert second.code == 0, second.log
    assert "@@shipyard proxy-applied" in second.log
    assert "proxy-unconfirmed" not in second.log
    assert fetch(app.url) == "v2"


def test_a_cancel_ends_the_step_running_on_a_host_without_pgrep(bare_app: App) -> None:
    app = bare_app
    host = app.hosts[0]
    assert app.deploy("v1", {"pre-deploy": NO_PROCPS}).code == 0
    (host.home / f"{app.name}.pid").unlink(missing_ok=True)
    process = app.start_process("v2", {"pre-deploy": f"{NO_PROCPS}; {LONG_HOOK}"})
    try:
        assert wait_until((host.home / f"{app.name}.pid").exists, 120), "pre-deploy not reached"
        pid = _hook_pid(host, app.name)
        assert pid_alive(pid)
    finally:
        output = _cancel(process)
    assert process.returncode == 1, output
    assert not pid_alive(pid), output
    assert "--- stopped 1 running step(s) on the host" in output
    assert "stop-steps-unsupported" not in output
    assert fetch(app.url) == "v1"
    assert _audit(host, app.name) == ["deployed", "rolled-back"]
    # The run forgot its steps when it released the lock.
    assert not list((_state(host, app.name) / "steps").iterdir())


def test_a_timed_out_step_is_ended_on_a_host_without_pgrep(bare_app: App) -> None:
    app = bare_app
    host = app.hosts[0]
    assert app.deploy("v1").code == 0
    (host.home / f"{app.name}.pid").unlink(missing_ok=True)
    bad = app.deploy("v2", {"pre-deploy": f"{NO_PROCPS}; {LONG_HOOK}", "command-timeout": "20s"})
    assert bad.code == 1, bad.log
    (result,) = json.loads(bad.outputs["hosts"])
    assert "pre-deploy timed out after 20s" in result["error"]
    assert not pid_alive(_hook_pid(host, app.name)), bad.log
    assert "--- stopped 1 running step(s) on the host" in bad.log
    assert fetch(app.url) == "v1"
