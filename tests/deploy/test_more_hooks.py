"""The hooks around a release on a real host (OpenSSH, dockerd, nginx): SHIPYARD_UPSTREAMS for
post-deploy and smoke-command; post-rollback once the release that ran before serves again."""

from __future__ import annotations

import json

from tests.deploy.conftest import App
from tests.services.loadgen import fetch


def test_post_deploy_and_a_runbook_smoke_test_get_the_new_containers_addresses(app: App) -> None:
    """The runbooks' smoke-command, verbatim: it failed (unbound variable) and rolled back."""
    home = app.hosts[0].home
    assert app.deploy("v1", replicas="2").code == 0
    smoke = 'for u in $SHIPYARD_UPSTREAMS; do wget -qO- "http://$u/health"; done'
    keep = 'printf "%s\\n" "$SHIPYARD_UPSTREAMS" >"$HOME/' + app.name
    hooks = {"smoke-command": f'{smoke}\n{keep}.smoke"', "post-deploy": f'{keep}.post"'}
    result = app.deploy("v2", hooks, replicas="2")
    assert result.code == 0, result.log
    assert result.outputs["status"] == "deployed"
    new = [f"{app.name}-{result.outputs['release']}-{i}" for i in (1, 2)]
    published = [app.hosts[0].docker("port", n, "8080/tcp").stdout.split()[0] for n in new]
    assert (home / f"{app.name}.smoke").read_text() == " ".join(published) + "\n"
    assert (home / f"{app.name}.post").read_text() == " ".join(published) + "\n"
    assert [fetch(f"http://{address}/") for address in published] == ["v2", "v2"]


def _restore(app: App) -> dict[str, str]:
    """A post-rollback that writes the release taken away and what nginx serves as it runs."""
    log = f'"$HOME/{app.name}.restored"'
    return {
        "post-rollback": f'printf "%s %s\\n" "$SHIPYARD_FAILED_RELEASE" "$(curl -fsS {app.url})" '
        f">>{log}"
    }


def test_post_rollback_runs_on_the_host_once_the_old_release_serves_again(app: App) -> None:
    restored = app.hosts[0].home / f"{app.name}.restored"
    assert app.deploy("v1").code == 0
    # A deploy that failed before it changed anything (its backup) puts nothing back: no restore.
    no_backup = app.deploy("v2", {**_restore(app), "pre-deploy": "exit 1"})
    assert no_backup.code == 1, no_backup.log
    assert not restored.exists(), restored.read_text()
    bad = app.deploy("v2", {**_restore(app), "smoke-command": "exit 1"})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    assert restored.read_text() == f"{bad.outputs['release']} v1\n"
    (host,) = json.loads(bad.outputs["hosts"])
    assert [s["name"] for s in host["steps"]][-3:] == ["rollback", "record", "post-rollback"]
    assert host["steps"][-1]["ok"] is True
    assert fetch(app.url) == "v1"


def test_rollback_mode_runs_post_rollback_on_the_host(app: App) -> None:
    restored = app.hosts[0].home / f"{app.name}.restored"
    first = app.deploy("v1")
    second = app.deploy("v2")
    assert first.code == 0 and second.code == 0, second.log
    back = app.deploy("v2", {**_restore(app), "mode": "rollback"})
    assert back.code == 0, back.log
    assert back.outputs["release"] == first.outputs["release"]
    assert restored.read_text() == f"{second.outputs['release']} v1\n"
    (host,) = json.loads(back.outputs["hosts"])
    assert [s["name"] for s in host["steps"]][-2:] == ["stop-old", "post-rollback"]
