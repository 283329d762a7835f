"""Migrations, hooks, dry-run, the deploy lock and an SSH outage mid-deploy."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

from tests.action_run import ActionRun
from tests.deploy.conftest import App
from tests.services._common import wait_until
from tests.services.deploy_hosts import DeployHost
from tests.services.loadgen import LoadGenerator, fetch


def test_migration_runs_once_in_a_one_off_container_before_the_switch(
    app: App, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    result = app.deploy(
        "v2",
        {
            "volumes": f"{data}:/data",
            "migrate-command": 'echo "migrated to $APP_VERSION with $APP_DB" >>/data/marker',
            "env": "APP_DB=postgres://db/app",
            "pre-deploy": 'echo "backup before $SHIPYARD_RELEASE" >>"$HOME/backups.log"',
        },
    )
    assert result.code == 0, result.log
    assert (data / "marker").read_text() == "migrated to v2 with postgres://db/app\n"
    backups = (app.hosts[0].home / "backups.log").read_text()
    assert backups == f"backup before {result.outputs['release']}\n"
    (host,) = json.loads(result.outputs["hosts"])
    names = [s["name"] for s in host["steps"]]
    assert names.index("pull") < names.index("pre-deploy") < names.index("migrate")
    assert names.index("migrate") < names.index("start") < names.index("switch")
    oneoff = app.hosts[0].docker("ps", "-a", "-q", "--filter", f"label=shipyard.oneoff={app.name}")
    assert oneoff.stdout.strip() == ""


def test_a_failing_migration_changes_nothing(app: App) -> None:
    assert app.deploy("v1").code == 0
    bad = app.deploy("v2", {"migrate-command": "echo cannot migrate >&2; exit 4"})
    assert bad.code == 1, bad.log
    assert "cannot migrate" in bad.log
    assert fetch(app.url) == "v1"


def test_dry_run_locks_and_plans_but_changes_nothing(app: App) -> None:
    result = app.deploy("v1", {"dry-run": "true"})
    assert result.code == 0, result.log
    assert result.outputs["status"] == "planned"
    assert "Steps per host: connect -> lock" in result.log
    assert app.hosts[0].containers(app.name, all_states=True) == []
    assert not (app.hosts[0].home / ".shipyard" / app.name / "lock").exists()


def _in_background(
    app: App, version: str, inputs: dict[str, str]
) -> tuple[threading.Thread, list[ActionRun]]:
    results: list[ActionRun] = []
    thread = threading.Thread(target=lambda: results.append(app.deploy(version, inputs)))
    thread.start()
    return thread, results


def _sessions(host: DeployHost) -> int:
    """Commands run over SSH on the host so far (each step is one; sshd logs each)."""
    return host.sshd_log().count("Starting session: command")


def test_a_second_deploy_waits_for_the_lock_or_fails_naming_the_first(app: App) -> None:
    """The first deploy holds the lock until the test opens a gate (no race with a sleep):
    one with a short lock-wait is refused, one with a long one tries the lock again and again
    (seen in the sshd log) and, once the gate opens, gets it."""
    host = app.hosts[0]
    marker, gate = host.home / f"{app.name}.holding", host.home / f"{app.name}.gate"
    gate.touch()
    hold = {
        "pre-deploy": f'touch "$HOME/{marker.name}"; '
        f'while [[ -e "$HOME/{gate.name}" ]]; do sleep 0.1; done'
    }
    thread, first = _in_background(app, "v1", hold)
    waiter: threading.Thread | None = None
    try:
        assert wait_until(marker.exists, 60)
        refused = app.deploy("v2", {"lock-wait": "1s"})
        before = _sessions(host)
        waiter, waited = _in_background(app, "v2", {"lock-wait": "120s"})
        assert wait_until(lambda: _sessions(host) >= before + 2, 60), "no second try"
    finally:
        gate.unlink(missing_ok=True)
        thread.join()
        if waiter is not None:
            waiter.join()
    assert first[0].code == 0, first[0].log
    assert refused.code == 3, refused.log
    assert "another deploy holds the lock" in refused.log
    assert "https://github.example/your-org/app/actions/runs/1001" in refused.log
    assert "by octocat" in refused.log
    assert waited[0].code == 0, waited[0].log
    steps = [s["name"] for s in json.loads(waited[0].outputs["hosts"])[0]["steps"]]
    assert steps.count("lock") >= 2
    assert fetch(app.url) == "v2"


def test_ssh_cut_mid_deploy_keeps_the_old_release_and_the_next_deploy_succeeds(
    fresh_app: App,
) -> None:
    app = fresh_app
    host = app.hosts[0]
    assert app.deploy("v1").code == 0
    marker = host.home / "in-pre-deploy"
    thread, cut = _in_background(
        app, "v2", {"pre-deploy": 'touch "$HOME/in-pre-deploy"; sleep 600', "lock-ttl": "3s"}
    )
    try:
        assert wait_until(marker.exists, 60)
        host.cut_ssh()
        assert fetch(app.url) == "v1"
    finally:
        thread.join()
    assert cut[0].code == 3, cut[0].log
    assert cut[0].outputs["status"] == "failed"
    assert fetch(app.url) == "v1"
    host.restore_ssh()
    after = app.deploy("v2", {"lock-wait": "30s"})
    assert after.code == 0, after.log
    assert "Stale deploy lock taken over" in after.log
    assert fetch(app.url) == "v2"


def test_cancel_during_the_watch_puts_the_old_release_back_and_unlocks(app: App) -> None:
    assert app.deploy("v1").code == 0
    process = app.start_process("v2", {"monitor": "60s", "monitor-interval": "1s"})
    try:
        assert wait_until(lambda: fetch(app.url) == "v2", 60), "v2 never served"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, output
    assert "cancelled" in output
    assert fetch(app.url) == "v1"
    state = app.hosts[0].home / ".shipyard" / app.name
    assert not (state / "lock").exists()
    assert all("-r1-" in name for name in app.hosts[0].containers(app.name, all_states=True))
    audit = [json.loads(line)["event"] for line in (state / "audit.log").read_text().splitlines()]
    assert audit == ["deployed", "rolled-back"]


def test_error_rate_in_the_access_log_during_the_watch_rolls_back(app: App) -> None:
    assert app.deploy("v1").code == 0
    host = app.hosts[0]
    errors = app.url + "cgi-bin/error"
    assert fetch(errors) is None  # answers 500
    with LoadGenerator(errors, threads=1, max_requests=2000, max_seconds=60):
        bad = app.deploy(
            "v2",
            {
                "monitor": "20s",
                "monitor-interval": "1s",
                "proxy-access-log": f"~/nginx/{app.name}.access.log",
                "max-error-rate": "10",
            },
        )
    assert bad.code == 1, bad.log
    (result,) = json.loads(bad.outputs["hosts"])
    assert "over max-error-rate 10%" in result["error"]
    assert host.nginx.access_log(app.name).exists()
    assert fetch(app.url) == "v1"


def test_a_failing_smoke_test_rolls_back(app: App) -> None:
    assert app.deploy("v1").code == 0
    smoke = 'echo "smoke against $SHIPYARD_RELEASE (was $SHIPYARD_PREVIOUS_RELEASE)"; exit 1'
    bad = app.deploy("v2", {"post-deploy": "echo post-deploy ran", "smoke-command": smoke})
    assert bad.code == 1, bad.log
    assert "post-deploy ran" in bad.log and "smoke against" in bad.log
    assert fetch(app.url) == "v1"
