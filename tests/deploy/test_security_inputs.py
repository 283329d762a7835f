"""Hostile inputs through the real entry point (``python -m shipyard.deploy``, inputs in env,
outputs read back from GITHUB_OUTPUT), with the real OpenSSH client and servers of the test bed.

``ssh`` and ``ssh-keyscan`` are found through a PATH directory of recording wrappers: each one
writes its argument list to a file, then execs the real program.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from shipyard.deploy import ssh as ssh_module
from shipyard.deploy.hostkeys import fingerprint
from shipyard.deploy.spec import SPEC
from tests.action_run import parse_file_commands
from tests.deploy.conftest import App
from tests.services._common import wait_until
from tests.services.sshd import SshServer


@dataclass
class Entry:
    code: int
    log: str
    outputs: dict[str, str]
    calls: list[list[str]]  # argv of every ssh / ssh-keyscan the run started

    def of(self, program: str) -> list[list[str]]:
        return [argv[1:] for argv in self.calls if Path(argv[0]).name == program]


class Recorder:
    """A PATH directory whose ssh and ssh-keyscan record their argv, then exec the real one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.log = directory / "calls.jsonl"
        directory.mkdir(parents=True, exist_ok=True)
        for program in ("ssh", "ssh-keyscan"):
            real = shutil.which(program)
            if real is None:
                pytest.fail(f"the OpenSSH client ({program}) is needed")
            wrapper = directory / program
            wrapper.write_text(
                f"#!{sys.executable}\n"
                "import json, os, sys\n"
                f"with open({str(self.log)!r}, 'a') as log:\n"
                "    log.write(json.dumps(sys.argv) + '\\n')\n"
                f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
            )
            wrapper.chmod(0o755)

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def run_entry(tmp_path: Path, inputs: Mapping[str, str]) -> Entry:
    """``python -m shipyard.deploy`` as the bootstrap runs it on a runner."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    recorder = Recorder(tmp_path / "bin")
    (tmp_path / "temp").mkdir(exist_ok=True)
    out, summary = tmp_path / "out", tmp_path / "summary.md"
    out.write_text("")
    summary.write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "SHIPYARD_INPUT_", "INPUT_"))
    }
    env.update(
        PATH=f"{recorder.directory}:{os.environ['PATH']}",
        GITHUB_ACTIONS="true",
        GITHUB_OUTPUT=str(out),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_RUN_NUMBER="7",
        GITHUB_RUN_ID="7007",
        GITHUB_REPOSITORY="your-org/app",
        GITHUB_SERVER_URL="https://github.example",
        GITHUB_ACTOR="octocat",
        RUNNER_TEMP=str(tmp_path / "temp"),
    )
    env.update({SPEC.input(name).env_name: value for name, value in inputs.items()})
    done = subprocess.run(
        [sys.executable, "-m", "shipyard.deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Entry(
        done.returncode,
        done.stdout + done.stderr,
        parse_file_commands(out.read_text()),
        recorder.calls(),
    )


def server_inputs(server: SshServer, **extra: str) -> dict[str, str]:
    return {
        "hosts": f"{server.host}:{server.port}",
        "user": server.user,
        "ssh-key": server.client_key.read_text(),
        "known-hosts": server.known_hosts_line,
        "app": "hostile",
        "image": "registry.example/app@sha256:" + "a" * 64,
        **extra,
    }


def bad_input(entry: Entry, name: str) -> None:
    assert entry.code == 2, entry.log
    assert f"::error title=Invalid input::Input '{name}'" in entry.log, entry.log
    assert "Traceback" not in entry.log, entry.log


# -- item 2: user (and every other value) cannot inject ssh_config ------------------------------
def test_an_injected_user_runs_no_proxy_command(sshd_host: SshServer, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    user = f'{sshd_host.user}\nProxyCommand sh -c "id > {marker}"'
    entry = run_entry(tmp_path / "run", server_inputs(sshd_host, user=user))
    bad_input(entry, "user")
    assert not marker.exists(), "the ProxyCommand ran"
    assert entry.calls == [], "nothing may be started for a bad input"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("user", "root StrictHostKeyChecking=no"),
        ("user", "%d"),
        ("user", "-oProxyCommand=x"),
        ("jump-host", "ops\nProxyCommand=x@127.0.0.1"),
        ("jump-host", "-J"),
    ],
)
def test_other_hostile_values_stop_before_any_ssh(
    sshd_host: SshServer, tmp_path: Path, name: str, value: str
) -> None:
    entry = run_entry(tmp_path, server_inputs(sshd_host, **{name: value}))
    bad_input(entry, name)
    assert entry.calls == []


# -- item 13: hosts are never options of ssh-keyscan or ssh --------------------------------------
@pytest.mark.parametrize("host", ["-v", "-f-", "-4", "web=-q:22"])
def test_a_host_starting_with_a_dash_never_reaches_ssh_keyscan(
    sshd_host: SshServer, tmp_path: Path, host: str
) -> None:
    pin = fingerprint(sshd_host.host_public_key.split()[1])
    bare = host.split("=")[-1].split(":")[0]
    entry = run_entry(
        tmp_path,
        server_inputs(sshd_host, hosts=host, **{"host-fingerprints": f"{bare} {pin}"}),
    )
    bad_input(entry, "hosts")
    assert entry.calls == [], entry.calls


def test_hosts_reach_ssh_keyscan_and_ssh_only_after_double_dash(app: App, tmp_path: Path) -> None:
    host = app.hosts[0]
    pin = fingerprint(host.ssh.host_public_key.split()[1])
    inputs = app.inputs("v1", **{"known-hosts": "", "host-fingerprints": f"{host.target} {pin}"})
    entry = run_entry(tmp_path, {**inputs, "dry-run": "true"})
    assert entry.code == 0, entry.log
    (scan,) = entry.of("ssh-keyscan")
    assert scan[-2:] == ["--", host.address], scan
    clients = entry.of("ssh")
    assert clients, entry.calls
    for argv in clients:
        cut = argv.index("--")
        assert argv[cut + 1].startswith("shipyard-host-"), argv
        assert not any(host.address in arg for arg in argv[:cut]), argv


# -- item 13: the control sockets -----------------------------------------------------------------
@pytest.fixture
def control_dirs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Path, int]]]:
    """Each control socket directory a run makes, with its mode when made."""
    made: list[tuple[Path, int]] = []
    real = ssh_module.control_dir

    def recording() -> Path:
        path = real()
        made.append((path, stat.S_IMODE(path.stat().st_mode)))
        return path

    monkeypatch.setattr(ssh_module, "control_dir", recording)
    yield made


def _masters(app: App) -> list[int]:
    """The app's runs' ssh master connections (``ssh -F <RUNNER_TEMP>/../ssh_config -M``)."""
    ps = subprocess.run(
        ["ps", "-eww", "-o", "pid=,args="], capture_output=True, text=True, check=False
    )
    return [
        int(line.split()[0])
        for line in ps.stdout.splitlines()
        if f" ssh -F {app.tmp_path}/" in line and " -M " in line
    ]


def test_a_master_left_behind_ends_by_itself(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """As after a killed run (no `ssh -O exit`, nothing removed): the master connection ends
    once idle for ControlPersist (10 s here, 60 s in use). It was 'yes': it stayed, logged in,
    for good."""
    monkeypatch.setattr(ssh_module, "CONTROL_PERSIST", 10, raising=False)
    left: list[int] = []

    def killed_before_closing(transport: ssh_module.SshTransport) -> None:
        left.extend(_masters(app))

    monkeypatch.setattr(ssh_module.SshTransport, "close_all", killed_before_closing)
    try:
        result = app.deploy("v1", {"dry-run": "true"})
        assert result.code == 0, result.log
        assert left, "the master was up when the run ended"
        assert wait_until(lambda: not _masters(app), 90), "the master is still up"
    finally:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


@pytest.mark.parametrize("outcome", ["dry-run", "refused key"])
def test_the_control_socket_dir_is_private_and_removed(
    app: App, control_dirs: list[tuple[Path, int]], tmp_path: Path, outcome: str
) -> None:
    """A guard (this held on 3824f64 too): 0700 while in use, gone with its masters after."""
    extra = {"dry-run": "true"}
    if outcome == "refused key":
        other = tmp_path / "other"
        keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)]
        subprocess.run(keygen, check=True)
        extra = {"ssh-key": other.read_text()}
    result = app.deploy("v1", extra)
    assert result.code == (0 if outcome == "dry-run" else 3), result.log
    ((directory, mode),) = control_dirs
    assert mode == 0o700
    assert directory.parent == Path("/tmp")
    assert not directory.exists()
    assert _masters(app) == []


# -- item 9: short env values mask nothing, outputs are never redacted ---------------------------
def test_outputs_stay_whole_whatever_the_env_masks(app: App, tmp_path: Path) -> None:
    host = app.hosts[0]
    lock = host.home / ".shipyard" / app.name / "lock"
    lock.mkdir(parents=True)
    (lock / "id").write_text("someone-else\n")
    (lock / "started").write_text(f"{int(time.time())}\n")
    (lock / "ttl").write_text("3600\n")
    (lock / "holder.json").write_text("{}\n")
    env_file = tmp_path / "app.env"
    env_file.write_text("MODE=a\nSHORT=ed\nLEVEL=dep\n")
    try:
        entry = run_entry(
            tmp_path / "run",
            {
                **app.inputs("v1"),
                "env-file": str(env_file),
                "env": "OUTCOME=failed\nHOSTS=result",
                "lock-wait": "0s",
                "url": "https://app.example/",
            },
        )
    finally:
        shutil.rmtree(lock, ignore_errors=True)
    assert entry.code == 3, entry.log
    out = entry.outputs
    assert out["status"] == "failed", out  # what deploy.yml's rollback step compares
    assert re.fullmatch(r"\d{14}-r7", out["release"]), out
    assert out["url"] == "https://app.example/"
    (record,) = json.loads(out["hosts"])
    assert (record["host"], record["result"]) == (host.name, "untouched"), record
    assert "another deploy holds the lock" in record["error"]
    masks = {line.removeprefix("::add-mask::") for line in entry.log.splitlines()}
    assert not {"a", "ed", "dep"} & masks, "values too short to be secrets are not masked"
    assert {"failed", "result"} <= masks, "longer env values still are"
