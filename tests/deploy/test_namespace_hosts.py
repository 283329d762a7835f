"""Several hosts, each in its own network namespace with its own sshd, dockerd and nginx."""

from __future__ import annotations

import json

from tests.deploy.conftest import App
from tests.services.deploy_hosts import DeployHost
from tests.services.loadgen import fetch


def test_hosts_are_separate_machines(namespace_hosts: list[DeployHost]) -> None:
    addresses = {h.address for h in namespace_hosts}
    assert len(addresses) == 3
    ids = {
        h.docker("info", "--format", "{{.DockerRootDir}}").stdout.strip() for h in namespace_hosts
    }
    assert len(ids) == 3


def test_rolling_over_three_hosts_stops_at_the_failing_second(fleet: App) -> None:
    app = fleet
    first = app.deploy("v1", {"strategy": "rolling", "batch-size": "1"})
    assert first.code == 0, first.log
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v1", "v1", "v1"]
    # The 2nd host's pre-deploy (its backup) fails: ns2 only.
    failing = 'case "$HOME" in */ns-host2/*) echo "backup failed" >&2; exit 1;; esac'
    bad = app.deploy("v2", {"strategy": "rolling", "batch-size": "1", "pre-deploy": failing})
    assert bad.code == 1, bad.log
    assert bad.outputs["status"] == "rolled-back"
    hosts = {h["host"]: h for h in json.loads(bad.outputs["hosts"])}
    assert hosts["ns1"]["result"] == "rolled-back"
    assert hosts["ns2"]["result"] == "rolled-back"
    assert "backup failed" in hosts["ns2"]["error"]
    assert hosts["ns3"]["result"] == "untouched"
    assert hosts["ns3"]["steps"] and {s["name"] for s in hosts["ns3"]["steps"]} <= {
        "connect", "lock",
    }  # fmt: skip
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v1", "v1", "v1"]
    ns3 = app.hosts[2]
    assert [n for n in ns3.containers(app.name, all_states=True)] == [
        f"{app.name}-{first.outputs['release']}-1"
    ]


def test_blue_green_on_three_hosts_in_parallel(fleet: App) -> None:
    app = fleet
    result = app.deploy("v2")
    assert result.code == 0, result.log
    assert [fetch(app.urls[h.name]) for h in app.hosts] == ["v2", "v2", "v2"]
    # Each host's output is one block (one group per host and phase).
    groups = [line for line in result.log.splitlines() if line.startswith("::group::")]
    assert "::group::ns1: roll out" in groups and "::group::ns3: roll out" in groups


def test_through_a_jump_host_with_its_own_key(fleet: App, deploy_host: DeployHost) -> None:
    app = fleet
    app.hosts = app.hosts[:1]
    jump = deploy_host
    result = app.deploy(
        "v1",
        {
            "jump-host": f"{jump.ssh.user}@{jump.target}",
            "jump-ssh-key": jump.ssh.client_key.read_text(),
            "known-hosts": f"{app.hosts[0].known_hosts_line}\n{jump.known_hosts_line}",
        },
    )
    assert result.code == 0, result.log
    assert fetch(app.urls[app.hosts[0].name]) == "v1"
    # No other test jumps: the jump host's log shows the forwarding to ns1's address.
    jump_log = jump.ssh.log.read_bytes().decode(errors="replace")
    forwarded = [line for line in jump_log.splitlines() if app.hosts[0].address in line]
    assert "direct-tcpip" in jump_log and forwarded, jump_log[-3000:]
