"""The deploy action's pure parts: settings, host keys, plan, scripts, upstream, releases."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shipyard.deploy import container_steps as ct
from shipyard.deploy import hostkeys, nginx, plan
from shipyard.deploy import steps as st
from shipyard.deploy import targets as where
from shipyard.deploy.releases import LockHolder, Release, previous_release
from shipyard.deploy.render import ScriptRenderer
from shipyard.deploy.spec import Settings
from shipyard.runtime import InputError, parse_settings

BASE = {
    "hosts": "web1=10.0.0.1\n10.0.0.2:2222",
    "ssh-key": "KEY",
    "known-hosts": "10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9oA",
    "app": "api",
    "image": "registry.example/api@sha256:" + "a" * 64,
}


def settings(**extra: str) -> Settings:
    return parse_settings(Settings, {**BASE, **extra})


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        ({"app": "Bad Name"}, "app"),
        ({"known-hosts": ""}, "known-hosts"),
        ({"env": "1BAD=x"}, "env"),
        ({"registry-password": "pw"}, "registry-username"),
        ({"strategy": "canary"}, "strategy"),
        ({"to-release": "r1"}, "to-release"),
        ({"replicas": "0"}, "replicas"),
        ({"health-path": "health"}, "health-path"),
        ({"monitor": "soon"}, "monitor"),
    ],
)
def test_bad_input_names_the_input(extra: dict[str, str], name: str) -> None:
    with pytest.raises(InputError) as caught:
        settings(**extra)
    assert caught.value.input_name == name


def test_defaults_follow_the_runbook() -> None:
    s = settings()
    assert (s.strategy, s.proxy, s.monitor, s.monitor_interval) == (
        "blue-green",
        "nginx",
        300.0,
        30.0,
    )
    assert (s.replicas, s.max_failures, s.keep_releases) == (1, 0, 5)
    assert s.upstream_path == "/etc/nginx/conf.d/api.upstream.conf"


def test_targets_and_batches() -> None:
    targets = where.parse_targets(["web1=10.0.0.1", "10.0.0.2:2222", "ops@[::1]:22"], "deploy")
    assert [(t.name, t.host, t.port, t.user) for t in targets] == [
        ("web1", "10.0.0.1", 22, "deploy"),
        ("10.0.0.2:2222", "10.0.0.2", 2222, "deploy"),
        ("::1", "::1", 22, "ops"),
    ]
    assert plan.batch_size(settings(), 3) == 3
    assert plan.batch_size(settings(strategy="rolling"), 3) == 1
    assert [[t.name for t in b] for b in plan.batches(targets, 2)] == [
        ["web1", "10.0.0.2:2222"],
        ["::1"],
    ]
    with pytest.raises(InputError, match="listed twice"):
        where.parse_targets(["a=1.1.1.1", "a=2.2.2.2"], "u")
    with pytest.raises(InputError):
        where.parse_target("host;rm -rf /", "u")


def test_release_ids_sort_by_time() -> None:
    assert plan.release_id(0, "7", "1") == "19700101000000-r7"
    assert plan.release_id(0, "7", "2") == "19700101000000-r7.2"
    assert plan.release_id(1, "1", "1") > plan.release_id(0, "9", "1")


def test_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = (tmp_path / "k.pub").read_text().split()
    listed = subprocess.run(
        ["ssh-keygen", "-lf", str(key) + ".pub"], capture_output=True, text=True, check=True
    )
    assert hostkeys.fingerprint(public[1]) == listed.stdout.split()[1]


def test_known_hosts_matching_plain_port_and_hashed(tmp_path: Path) -> None:
    entries = hostkeys.parse_known_hosts(
        "# comment\n10.0.0.1,web1 ssh-ed25519 AAAA\n[10.0.0.2]:2222 ssh-ed25519 BBBB\n"
    )
    assert [e.key for e in hostkeys.keys_for(entries, "web1", 22)] == ["AAAA"]
    assert [e.key for e in hostkeys.keys_for(entries, "10.0.0.2", 2222)] == ["BBBB"]
    assert hostkeys.keys_for(entries, "10.0.0.2", 22) == []
    known = tmp_path / "known"
    known.write_text("[10.9.9.9]:2200 ssh-ed25519 CCCC\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    hashed = hostkeys.parse_known_hosts(known.read_text())
    assert hashed[0].patterns.startswith("|1|")
    assert hostkeys.keys_for(hashed, "10.9.9.9", 2200) and not hostkeys.keys_for(
        hashed, "10.9.9.9", 22
    )
    with pytest.raises(InputError, match="line 1"):
        hostkeys.parse_known_hosts("not a known hosts line")


def test_refusal_shows_the_offered_line_and_how_to_get_it() -> None:
    offered = hostkeys.parse_known_hosts("[h]:2222 ssh-ed25519 " + "A" * 68)
    text = hostkeys.refusal("h", 2222, offered, [])
    assert "unknown" in text and "[h]:2222 ssh-ed25519 AAAA" in text
    assert "ssh-keyscan -p 2222 h" in text and offered[0].fingerprint in text


def _remote(**extra: object) -> ScriptRenderer:
    values: dict[str, object] = {
        "app": "api", "state_dir": "~/.shipyard", "image": "reg/api:1", "port": 8080,
        "release": "20260101000000-r1", "replicas": 2, "health_attempts": 3,
        "health_interval": 0.5, "health_path": "/health", "proxy": "nginx",
        "proxy_config": "~/nginx/api.conf", "proxy_check": "nginx -t -q",
        "proxy_reload": "nginx -s reload",
    }  # fmt: skip
    values.update(extra)
    return ScriptRenderer(**values)  # type: ignore[arg-type]


EVIL = "x'; touch /tmp/pwned; echo '$(id)`id`"


def _all_scripts(remote: ScriptRenderer) -> dict[str, str]:
    holder = LockHolder("id1", "https://gh/run/1", EVIL, 0, 60, "r1")
    env = {"SECRET": EVIL, "PLAIN": "1"}
    steps: dict[str, st.RemoteStep[object]] = {
        "lock": st.Lock(remote, holder),
        "unlock": st.Unlock(remote, "id1"),
        "pull": st.Pull(remote, "user", EVIL),
        "hook": st.Hook(remote, "echo hi", "pre-deploy", {"X": EVIL}),
        "migrate": st.Migrate(remote, "./migrate", env),
        "start": ct.Start(remote, env),
        "check": ct.Check(remote, remote.names()),
        "switch": ct.Switch(remote, "r1", remote.names()),
        "replica": ct.Replica(remote, env, 1, ["api-r0-1", "api-r0-2"], 1.0),
        "watch": st.Watch(remote, remote.names(), "/var/log/nginx/api.log", 10, 1),
        "revert": ct.Revert(remote, "r0", ["api-r0-1"], remote.names()),
        "bring-back": ct.BringBack(remote, "r0", ["api-r0-1"]),
        "stop": ct.Stop(remote, ["api-r0-1"], 1.0, '{"event": "x"}'),
        "stop-steps": st.StopSteps(remote, "shipyard-step-" + EVIL),
        "record": st.Record(
            remote, Release("r1", "i", "d", 0, "", EVIL, "deployed").to_json(), "{}", "r1", 5
        ),
    }  # type: ignore[dict-item]
    return {name: step.script() for name, step in steps.items()}


def test_scripts_are_valid_bash_and_pass_shellcheck(tmp_path: Path) -> None:
    texts = _all_scripts(_remote())
    for name, text in texts.items():
        assert text.startswith("set -euo pipefail\n"), name
    assert_valid_bash(texts, tmp_path)


def assert_valid_bash(texts: dict[str, str], tmp_path: Path) -> None:
    """Each script parses with ``bash -n`` and passes shellcheck at warning level."""
    shellcheck = shutil.which("shellcheck") or str(Path(".venv/bin/shellcheck"))
    for name, text in texts.items():
        path = tmp_path / f"{name}.sh"
        path.write_text("#!/bin/bash\n" + text)
        syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert syntax.returncode == 0, (name, syntax.stderr)
        lint = subprocess.run(
            [shellcheck, "--severity=warning", "--shell=bash", str(path)],
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, (name, lint.stdout)


def test_secrets_travel_in_here_documents_only() -> None:
    remote = _remote()
    text = ct.Start(remote, {"SECRET": "hunter2"}).script()
    lines = text.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line == "SECRET=hunter2"]
    assert lines[at - 1].startswith('cat >"$ENVFILE" <<\'SHIPYARD_ENV_')
    assert "docker run" in text and "hunter2" not in "\n".join(lines[:at] + lines[at + 1 :])
    pull = st.Pull(remote, "bot", "pw-123").script()
    (pw_line,) = [i for i, line in enumerate(pull.splitlines()) if line == "pw-123"]
    assert "--password-stdin" in pull.splitlines()[pw_line - 1]


def test_a_hostile_value_stays_one_word(tmp_path: Path) -> None:
    """Run the hook script for real: the value arrives intact and runs nothing."""
    remote = _remote(state_dir=str(tmp_path / "state"))
    text = st.Hook(
        remote, 'printf "%s" "$X" >"$OUT"', "post-deploy", {"X": EVIL, "OUT": str(tmp_path / "out")}
    ).script()
    result = subprocess.run(["bash", "-s"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").read_text() == EVIL
    assert not Path("/tmp/pwned").exists()


def test_upstream_file() -> None:
    text = nginx.render_upstream("api", "r1", ["127.0.0.1:3001", "127.0.0.1:3002"])
    assert "upstream api {\n    server 127.0.0.1:3001 max_fails=1 fail_timeout=5s;" in text
    assert "server 127.0.0.1:9 down;" in nginx.render_upstream("api", "r1", [])
    assert nginx.remote_path("~/a b") == "\"$HOME\"/'a b'"
    assert nginx.remote_path("/etc/x") == "/etc/x"


def test_previous_release_is_the_last_deployed_one() -> None:
    def rel(id_: str, result: str) -> Release:
        return Release(id_, "img", "img@sha256:1", 0, "", "", result)

    records = [rel("r1", "deployed"), rel("r2", "rolled-back"), rel("r3", "deployed")]
    assert previous_release(records, "r3") == records[0]
    assert previous_release(records, "r3", "r2") == records[1]
    assert previous_release(records, "r1") is None
    assert Release.from_json(records[0].to_json()) == records[0]
    assert Release.from_json("{not json") is None


def test_env_file_lines() -> None:
    from shipyard.deploy.spec import parse_env_file

    text = "# comment\n\nexport A=1\nB= spaced = value\nC=\n"
    assert parse_env_file(text) == {"A": "1", "B": " spaced = value", "C": ""}
    with pytest.raises(InputError, match="line 1"):
        parse_env_file("not a pair")
