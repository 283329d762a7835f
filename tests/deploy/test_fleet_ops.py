"""Deploy 2 on the in-memory fleet: the disk check before anything changes, old images pruned
with keep-releases, the HTTPS step in the rollout, and modes exec, logs, status and
maintenance (``memory_ops.py`` says what the simulated hosts do; the real-host tests in
``test_ops_real.py`` and ``test_https.py`` prove the scripts do it)."""

from __future__ import annotations

import json

from shipyard.deploy import ops_report
from shipyard.deploy.ops_report import OpsResult
from shipyard.deploy.releases import LockHolder
from shipyard.deploy.site import SiteConfig
from shipyard.deploy.tls import Certificate
from shipyard.runtime import ExternalError, VerdictFailure
from tests.deploy.memory_fleet import MemoryFleet
from tests.deploy.memory_ops import image_id
from tests.deploy.orchestra import NEW, OLD, Run, planned, ran, run, settings

HOSTS = ["web1", "web2", "web3"]
GB = 1024**3


def fleet_with(release: str = OLD, hosts: list[str] = HOSTS) -> MemoryFleet:
    sims = MemoryFleet(hosts)
    for sim in sims.hosts.values():
        sim.deployed(release)
        sim.ops.images.add(f"reg/api:{release}")
    return sims


def ops(done: Run) -> OpsResult:
    assert isinstance(done.result, OpsResult), done.log
    return done.result


# -- the disk check -------------------------------------------------------------------------
def test_a_host_without_room_for_the_image_stops_the_deploy_before_any_change() -> None:
    sims = fleet_with()
    sims.hosts["web2"].ops.free = 1 * GB
    done = run(sims, settings(HOSTS), space=3 * GB)
    assert isinstance(done.error, ExternalError), done.log
    message = str(done.error)
    assert "web2: docker's data root /var/lib/docker has 1.0 GB free, the pull needs 3.0 GB" in (
        message
    )
    assert "Nothing was changed" in message and "web1" not in message
    for name, sim in sims.hosts.items():
        assert sim.serving == OLD and sim.lock is None, name
        assert sim.ran == (["lock"] if name == "web2" else ["lock", "unlock"]), name


def test_room_is_not_needed_when_the_image_is_already_there() -> None:
    sims = fleet_with()
    sims.hosts["web1"].ops.free = 0
    sims.hosts["web1"].ops.images.add("reg/api:2")  # the image input
    done = run(sims, settings(["web1"]), space=3 * GB)
    assert done.result is not None and done.result.status == "deployed", done.log


# -- old images -----------------------------------------------------------------------------
def test_images_past_keep_releases_go_unless_a_container_or_another_window_needs_them() -> None:
    sims = MemoryFleet(["web1"])
    sim = sims.hosts["web1"]
    old = [f"2025010{i}000000-r{i}" for i in range(1, 5)]
    for release in old:
        sim.deployed(release)
        sim.ops.images.add(f"reg/api:{release}")
    # Another app's container uses r2's image; r3 is in another state dir's keep window.
    sim.ops.in_use.add(f"reg/api:{old[1]}")
    sim.ops.protected.add(f"reg/api:{old[2]}")
    done = run(sims, settings(["web1"], **{"keep-releases": "2"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    assert "prune-images" in done.steps("web1")
    # The window: NEW and r4 (keep-releases 2). r1: no container uses it, no window names
    # it: removed.
    assert sim.ops.images == {f"reg/api:{r}" for r in old[1:]} | {"reg/api:2"}
    (pruned,) = [r.value for r in done.hosts[0].log if r.name == "prune-images"]
    assert pruned.removed == (image_id(f"reg/api:{old[0]}"),)


def test_a_state_dir_that_cannot_be_read_keeps_every_image() -> None:
    sims = fleet_with()
    sim = sims.hosts["web1"]
    sim.ops.unreadable = "/home/other/.shipyard/api"
    done = run(sims, settings(["web1"], **{"keep-releases": "1"}))
    assert done.result is not None and done.result.status == "deployed", done.log
    (pruned,) = [r.value for r in done.hosts[0].log if r.name == "prune-images"]
    assert pruned.removed == () and "cannot read /home/other/.shipyard/api" in pruned.kept
    assert f"reg/api:{OLD}" in sim.ops.images


# -- HTTPS ----------------------------------------------------------------------------------
CERTIFICATE = Certificate("CHAIN", "KEY", 1_900_000_000.0, ("api.example.com",))
SITE = SiteConfig(("api.example.com",), 443, 80, 0, CERTIFICATE)


def test_the_https_step_comes_after_the_switch_and_is_in_the_plan() -> None:
    sims = fleet_with(hosts=["web1"])
    done = run(sims, settings(["web1"]), site=SITE)
    assert done.result is not None and done.result.status == "deployed", done.log
    assert ran(done, "web1") == (
        "connect -> lock -> pull -> start -> check -> switch -> tls -> stop-old -> record -> "
        "prune-images"
    )
    assert sims.hosts["web1"].ops.certificates == [CERTIFICATE.fingerprint]
    dry = run(fleet_with(hosts=["web1"]), settings(["web1"], **{"dry-run": "true"}), site=SITE)
    assert planned(dry) == " -> ".join(ran(done, "web1").split(" -> "))


def test_unhealthy_through_tls_puts_the_old_release_back() -> None:
    sims = fleet_with(hosts=["web1"])
    sims.hosts["web1"].ops.tls_code = 502
    done = run(sims, settings(["web1"]), site=SITE)
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert sims.hosts["web1"].ops.site == ""  # a first HTTPS deploy: no block is left
    assert done.steps("web1")[-3:] == ["tls", "rollback", "record"]
    assert sims.hosts["web1"].serving == OLD


def test_a_host_without_curl_deploys_with_a_warning() -> None:
    sims = fleet_with(hosts=["web1"])
    sims.hosts["web1"].ops.curl = False
    done = run(sims, settings(["web1"]), site=SITE)
    assert done.result is not None and done.result.status == "deployed", done.log
    assert "health was not checked through TLS (no curl on the host)" in done.log


# -- exec -----------------------------------------------------------------------------------
def test_exec_runs_in_the_live_container_of_each_host_and_reports_each_exit_code() -> None:
    sims = fleet_with()
    sims.hosts["web3"].ops.exec_result = (3, "migration failed\n::error::not a command")
    done = run(sims, settings(HOSTS, mode="exec", command="./manage.py migrate"))
    result = ops(done)
    assert result.status == "failed" and result.release == OLD
    assert [(d["host"], d["exit"]) for d in result.details] == [
        ("web1", 0), ("web2", 0), ("web3", 3),
    ]  # fmt: skip
    for sim in sims.hosts.values():
        assert sim.ops.commands == [(f"api-{OLD}-1", "./manage.py migrate")]
        assert sim.lock is None and sim.ran == ["exec"]
    assert result.texts["web3"] == "migration failed\n::error::not a command"
    error = ops_report.verdict(result)
    assert isinstance(error, VerdictFailure) and "web3 (exit 3)" in str(error)
    # What the container printed reaches the log fenced: never as a workflow command.
    assert "\n::error::not a command" not in done.log


def test_exec_on_one_host_only() -> None:
    sims = fleet_with()
    done = run(sims, settings(HOSTS, mode="exec", command="true", **{"exec-host": "web2"}))
    result = ops(done)
    assert result.status == "ok" and [d["host"] for d in result.details] == ["web2"]
    assert sims.hosts["web1"].ran == [] and sims.hosts["web2"].ran == ["exec"]
    assert ops_report.verdict(result) is None


def test_exec_without_a_live_release_is_a_host_error() -> None:
    sims = MemoryFleet(["web1"])
    done = run(sims, settings(["web1"], mode="exec", command="true"))
    result = ops(done)
    assert result.status == "failed" and result.details[0]["exit"] is None
    assert "exec failed (exit 1)" in str(result.details[0]["error"])
    assert isinstance(ops_report.verdict(result), ExternalError)


# -- logs -----------------------------------------------------------------------------------
def test_logs_bring_each_hosts_last_lines() -> None:
    sims = fleet_with(hosts=["web1", "web2"])
    sims.hosts["web1"].ops.logs = {f"api-{OLD}-1": [f"line {i}" for i in range(10)]}
    done = run(sims, settings(["web1", "web2"], mode="logs", **{"log-lines": "3"}))
    result = ops(done)
    assert result.status == "ok"
    assert result.details[0]["lines"] == {f"api-{OLD}-1": 3}
    assert result.texts["web1"] == f"== api-{OLD}-1\nline 7\nline 8\nline 9"
    outputs = ops_report.outputs(result, None)
    assert json.loads(outputs["details"])[1] == {
        "host": "web2", "release": OLD, "lines": {f"api-{OLD}-1": 0}, "error": "",
    }  # fmt: skip


def test_details_are_redacted_before_they_become_json() -> None:
    """A masked value with a quote is redacted in each string, not in the JSON text (where it
    is escaped and would no longer match)."""
    detail = {"host": "web1", "error": 'login "s3cr3t" refused'}
    result = OpsResult("status", "failed", "", [], [detail], [], {})
    out = ops_report.outputs(result, None, lambda text: text.replace('"s3cr3t"', "***"))
    assert json.loads(out["details"]) == [{"host": "web1", "error": "login *** refused"}]


# -- status ---------------------------------------------------------------------------------
def test_status_reports_without_taking_the_lock() -> None:
    sims = fleet_with(NEW, hosts=["web1", "web2"])
    for sim in sims.hosts.values():
        sim.deployed(OLD)
        sim.deployed(NEW)
    other = LockHolder("other", "https://github.example/o/r/runs/9", "hubot",
                       sims.clock.now() - 120, 1800, "20260103000000-r3")  # fmt: skip
    sims.hosts["web2"].lock = {"id": "other", "started": other.started, "ttl": 1800,
                               "holder": other.to_json()}  # fmt: skip
    sims.hosts["web2"].ops.maintenance = ("on", "20042", "1700000000")
    done = run(sims, settings(["web1", "web2"], mode="status"))
    result = ops(done)
    assert result.status == "ok" and result.release == NEW
    web1, web2 = result.details
    assert web1["live-release"] == NEW and web1["previous-release"] == OLD
    assert str(web1["digest"]).startswith("reg/api@sha256:")
    (container,) = web1["containers"]  # type: ignore[misc]
    assert container == {"name": f"api-{NEW}-1", "state": "running", "uptime": 60,
                         "health": "200", "docker-health": "none",
                         "image": image_id(f"api-{NEW}-1")}  # fmt: skip
    assert web1["lock"] == {"held": False} and web1["maintenance"] == "off"
    assert web2["lock"] == {
        "held": True, "holder": other.run_url, "actor": "hubot", "release": other.release,
        "age": 120, "stale": False,
    }  # fmt: skip
    assert web2["maintenance"] == "on"
    assert sims.hosts["web2"].lock is not None and sims.hosts["web2"].lock["id"] == "other"
    assert [s.ran for s in sims.hosts.values()] == [["status"], ["status"]]


# -- maintenance ----------------------------------------------------------------------------
def test_maintenance_on_then_off_under_the_lock() -> None:
    sims = fleet_with(hosts=["web1", "web2"])
    on = ops(run(sims, settings(["web1", "web2"], mode="maintenance", maintenance="on")))
    assert on.status == "ok" and [d["maintenance"] for d in on.details] == ["on", "on"]
    for sim in sims.hosts.values():
        assert sim.upstream == ["maintenance"] and sim.running_of(OLD) == [f"api-{OLD}-1"]
        assert sim.ran == ["lock", "maintenance-on", "unlock"] and sim.lock is None
    off = ops(run(sims, settings(["web1", "web2"], mode="maintenance", maintenance="off")))
    assert off.status == "ok" and [d["maintenance"] for d in off.details] == ["off", "off"]
    assert all(sim.serving == OLD for sim in sims.hosts.values())
    assert sims.hosts["web1"].events()[-2:] == ["maintenance-on", "maintenance-off"]


def test_maintenance_stays_on_when_no_live_container_runs() -> None:
    sims = fleet_with(hosts=["web1"])
    ops(run(sims, settings(["web1"], mode="maintenance", maintenance="on")))
    sims.hosts["web1"].containers[f"api-{OLD}-1"][1] = "exited"
    off = ops(run(sims, settings(["web1"], mode="maintenance", maintenance="off")))
    assert off.status == "failed" and sims.hosts["web1"].ops.maintenance[0] == "on"
    assert isinstance(ops_report.verdict(off), ExternalError)


def test_a_dry_run_of_maintenance_takes_the_lock_and_changes_nothing() -> None:
    sims = fleet_with(hosts=["web1"])
    done = ops(run(sims, settings(["web1"], mode="maintenance", maintenance="on",
                                 **{"dry-run": "true"})))  # fmt: skip
    assert done.status == "planned" and sims.hosts["web1"].ran == ["lock", "unlock"]
    assert sims.hosts["web1"].ops.maintenance == ()
