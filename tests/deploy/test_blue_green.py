"""blue-green on one host through real OpenSSH, dockerd, nginx and the registry."""

from __future__ import annotations

import json

from tests.deploy.conftest import App
from tests.services.deploy_hosts import DeployHost
from tests.services.loadgen import LoadGenerator, fetch


def test_first_deploy_then_v2_under_load_drops_nothing(app: App) -> None:
    first = app.deploy("v1")
    assert first.code == 0, first.log
    assert first.outputs["status"] == "deployed"
    assert fetch(app.url) == "v1"
    with LoadGenerator(app.url, threads=4, max_requests=60_000, max_seconds=180) as load:
        assert load.wait_for(1000)
        second = app.deploy("v2")
        assert load.wait_for(max(5000, load.count() + 300))  # and some answers after it
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
    with LoadGenerator(app.url, threads=2, max_requests=60_000, max_seconds=120) as load:
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
    # v4's /cgi-bin/health answers 200 to its first four checks, then 503: healthy at the
    # check before the switch and at the watch's first three, caught by its fourth, however
    # long the switch took.
    watch = {"monitor": "30s", "monitor-interval": "1s", "health-path": "/cgi-bin/health"}
    bad = app.deploy("v4", watch)
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    (host,) = json.loads(bad.outputs["hosts"])
    names = [s["name"] for s in host["steps"]]
    watches = [(s["name"], s["ok"]) for s in host["steps"] if s["name"].startswith("watch-")]
    # Every check passed until v4 went bad; that one failed and the very next step put v2
    # back (the watch of 30 checks was cut short).
    assert watches == [("watch-1", True), ("watch-2", True), ("watch-3", True), ("watch-4", False)]
    assert names[names.index("watch-4") + 1] == "rollback"
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


def test_the_deploy_goes_on_only_once_nginx_runs_the_new_upstream(app: App) -> None:
    """``nginx -s reload`` (and ``systemctl reload nginx``) only signal the master: its old
    workers keep taking connections with the old upstream until they get to the signal, which
    on a loaded host takes a while. Here the reload command signals 2 s late (drain-timeout is
    1 s): the deploy must wait until nginx's workers run the new upstream before it reports
    the switch (a request right after the first deploy is answered, not a 502 of the
    placeholder) and before it stops the old release (no failed request under load)."""
    reload = app.hosts[0].proxy_inputs(app.name)["proxy-reload"]
    slow = {"proxy-reload": f"(sleep 2; {reload}) </dev/null >/dev/null 2>&1 &"}
    first = app.deploy("v1", slow)
    assert first.code == 0, first.log
    assert fetch(app.url) == "v1"
    with LoadGenerator(app.url, threads=2, max_requests=60_000, max_seconds=120) as load:
        assert load.wait_for(200)
        second = app.deploy("v2", slow)
        assert load.wait_for(load.count() + 200)
    assert second.code == 0, second.log
    assert load.result.failed == 0, load.result.errors
    assert load.result.versions() == ["v1", "v2"]
    assert "proxy-unconfirmed" not in second.log


def test_a_rollback_that_fails_once_is_made_again(app: App) -> None:
    """The revert is idempotent (start the old containers, wait, switch, remove the new ones):
    an attempt that fails (here nginx's config test, once) is made again, and the deploy ends
    rolled back, not failed."""
    assert app.deploy("v2").code == 0
    host = app.hosts[0]
    marker = host.home / f"fail-once-{app.name}"
    check = host.proxy_inputs(app.name)["proxy-check"]
    flaky = f"if rm {marker} 2>/dev/null; then echo 'injected: config test failed' >&2; exit 1; fi"
    marker.touch()
    bad = app.deploy("v3", {"health-timeout": "2s", "proxy-check": f"{flaky}; {check}"})
    assert bad.code == 1, bad.log
    assert not marker.exists()  # the injected failure happened
    assert bad.outputs["status"] == "rolled-back", bad.log
    (result,) = json.loads(bad.outputs["hosts"])
    assert result["result"] == "rolled-back"
    steps = [(s["name"], s["ok"]) for s in result["steps"]]
    assert steps[-3:] == [("rollback", False), ("rollback-2", True), ("record", True)]
    assert "rollback: rollback failed (exit 1)" in bad.log and "retrying in" in bad.log
    assert fetch(app.url) == "v2"
    (name,) = host.containers(app.name, all_states=True)  # v3's container was removed
    assert bad.outputs["previous-release"] in name


def test_a_rollback_whose_record_fails_is_still_rolled_back(app: App) -> None:
    """Recording the result is bookkeeping: when it fails after a good revert, the old release
    serves and the status stays rolled-back, with a warning."""
    assert app.deploy("v2").code == 0
    audit = app.hosts[0].home / ".shipyard" / app.name / "audit.log"
    audit.unlink()
    audit.mkdir()  # the record step's append to the audit log fails
    bad = app.deploy("v3", {"health-timeout": "2s"})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back", bad.log
    (result,) = json.loads(bad.outputs["hosts"])
    assert result["result"] == "rolled-back"
    steps = [(s["name"], s["ok"]) for s in result["steps"]]
    assert steps[-2:] == [("rollback", True), ("record", False)]
    assert "Rollback not recorded" in bad.log
    assert "the result was not recorded on the host" in bad.log
    assert fetch(app.url) == "v2"


def test_pruning_keeps_to_the_releases_this_state_dir_recorded(
    app: App, fresh_deploy_host: DeployHost
) -> None:
    """Two hosts on one Docker engine (as two environments or deploy users on one machine;
    here two test-bed hosts, as concurrent test sessions share the dockerd) deploy the same
    app: keep-releases prunes only the releases this host's state dir recorded, never the
    other's running containers (the e2e tests' fixed app names met this way: a record step
    removing another session's containers failed when those went away under it)."""
    other_dir = app.tmp_path / "other"
    other_dir.mkdir()
    other = App(app.name, [fresh_deploy_host], app.sample, other_dir)
    other.urls[fresh_deploy_host.name] = fresh_deploy_host.add_site(app.name)
    assert app.deploy("v1", {"keep-releases": "1"}).code == 0
    assert other.deploy("v1").code == 0  # a newer release of the app, on the other host
    result = app.deploy("v2", {"keep-releases": "1"})
    assert result.code == 0, result.log
    assert "pruned" in result.log  # this host's own v1 was pruned
    assert fetch(app.url) == "v2"
    assert fetch(other.url) == "v1"  # the other host's container is still there


def test_a_reload_nginx_never_applies_is_a_warning(app: App) -> None:
    """A proxy-reload that does not reach this host's nginx (here: none at all): the switch
    waits its 15 s for nginx's workers to change, then goes on with a warning."""
    result = app.deploy("v1", {"proxy-reload": "true"})
    assert result.code == 0, result.log
    assert "@@shipyard proxy-unconfirmed 15" in result.log
    assert "Proxy reload not confirmed" in result.log
    assert fetch(app.url) is None  # nginx still has the placeholder: nothing was reloaded
