"""Host keys verified before anything runs; secrets in no log, no ps output, no command line."""

from __future__ import annotations

import secrets
import subprocess
import threading
from pathlib import Path

from shipyard.deploy.hostkeys import fingerprint
from tests.deploy.conftest import App
from tests.services._common import run
from tests.services.loadgen import fetch


def _other_key(tmp_path: Path) -> str:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")])
    return " ".join((tmp_path / "other.pub").read_text().split()[:2])


def test_a_wrong_host_key_stops_the_deploy_before_any_command(app: App, tmp_path: Path) -> None:
    host = app.hosts[0]
    pattern = host.known_hosts_line.split()[0]
    wrong = f"{pattern} {_other_key(tmp_path)}"
    before = host.ssh.log.stat().st_size
    result = app.deploy("v1", {"known-hosts": wrong})
    assert result.code == 2, result.log
    assert result.annotations("error"), result.log
    text = result.visible
    # The message shows the line the host offered (ssh-keyscan form) and how to get it.
    real_key = host.ssh.host_public_key
    assert f"{pattern} {real_key}" in text
    assert fingerprint(real_key.split()[1]) in text
    assert "ssh-keyscan -p" in text
    log = host.ssh.log.read_bytes()[before:].decode(errors="replace")
    assert "Starting session" not in log and "req exec" not in log, log
    assert host.containers(app.name, all_states=True) == []


def test_an_unknown_host_is_refused_and_the_offered_line_shown(app: App) -> None:
    result = app.deploy("v1", {"known-hosts": "[127.0.0.1]:1 ssh-ed25519 " + "A" * 68})
    assert result.code == 2, result.log
    assert "unknown" in result.visible
    assert app.hosts[0].known_hosts_line in result.visible


def test_a_pinned_fingerprint_is_enough(app: App) -> None:
    host = app.hosts[0]
    pin = fingerprint(host.ssh.host_public_key.split()[1])
    result = app.deploy("v1", {"known-hosts": "", "host-fingerprints": f"{host.target} {pin}"})
    assert result.code == 0, result.log
    assert fetch(app.url) == "v1"


class _PsWatcher:
    """Records every command line on this machine (the host) while a deploy runs."""

    def __init__(self) -> None:
        self.lines: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            out = subprocess.run(
                ["ps", "-eww", "-o", "args="], capture_output=True, text=True, check=False
            )
            self.lines.update(out.stdout.splitlines())
            self._stop.wait(0.02)

    def __enter__(self) -> _PsWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_secrets_never_in_logs_ps_or_remote_command_lines(app: App, tmp_path: Path) -> None:
    host = app.hosts[0]
    secret = "s3cr3t-" + secrets.token_hex(12)
    password = app.sample.registry.password
    env_file = tmp_path / "app.env"
    env_file.write_text("# from the repository\nAPP_MODE=test\nAPP_SECRET=overridden\n")
    before = host.ssh.log.stat().st_size
    with _PsWatcher() as ps:
        result = app.deploy(
            "v1",
            {
                "env": f"APP_SECRET={secret}",
                "env-file": str(env_file),
                "migrate-command": "echo migrating",
                "pre-deploy": "echo backing up",
            },
        )
    assert result.code == 0, result.log
    # The app got its env (the sample app lists the names of its APP_* variables).
    assert fetch(app.url + "env-names") is not None
    names = fetch(app.url + "env-names") or ""
    assert "APP_SECRET" in names and "APP_MODE" in names
    (name,) = host.containers(app.name)
    config = host.docker("inspect", "--format", "{{json .Config.Env}}", name).stdout
    assert f"APP_SECRET={secret}" in config and "APP_MODE=test" in config  # env wins
    assert any("docker run" in line for line in ps.lines), "the watcher saw the deploy"
    assert any("bash -s" in line for line in ps.lines), "the watcher saw the remote command"
    for value in (secret, password):
        assert value not in result.visible
        assert not [line for line in ps.lines if value in line]
        assert value not in host.ssh.log.read_bytes()[before:].decode(errors="replace")
    # No env file or docker config left behind on the host.
    state = host.home / ".shipyard" / app.name
    assert not list(state.glob("env.*"))
    assert (state / "audit.log").exists()
