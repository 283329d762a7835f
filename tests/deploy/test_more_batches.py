"""batch-size and batch-wait over three hosts in network namespaces (each its own sshd, dockerd
and nginx). The pause is checked on the action's own records (the audit log's times and the
step durations of the ``hosts`` output), never on this test's clock."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from typing import IO, Any

from tests.deploy.conftest import App
from tests.deploy.test_more_cancel import _audit, _serving, _state
from tests.services._common import wait_until
from tests.services.deploy_hosts import DeployHost

WAIT = 4.0


def _audit_entries(host: DeployHost, app: str) -> list[dict[str, Any]]:
    log = _state(host, app) / "audit.log"
    return [json.loads(line) for line in log.read_text().splitlines()]


def _deployed_at(host: DeployHost, app: str, release: str) -> float:
    (entry,) = [
        e for e in _audit_entries(host, app) if e["event"] == "deployed" and e["release"] == release
    ]
    return float(entry["time"])


def _seconds(steps: list[dict[str, Any]], *, only: str = "", skip: tuple[str, ...] = ()) -> float:
    """The summed durations of a host's steps (``only`` that one; else all but ``skip``)."""
    return sum(
        float(s["seconds"]) for s in steps if (s["name"] == only if only else s["name"] not in skip)
    )


def test_rolling_over_three_hosts_waits_batch_wait_between_batches(fleet: App) -> None:
    app = fleet
    first = app.deploy("v1")
    assert first.code == 0, first.log
    # rolling: batch-size defaults to 1 host.
    second = app.deploy("v2", {"strategy": "rolling", "batch-wait": f"{WAIT:g}s"})
    assert second.code == 0, second.log
    assert _serving(app) == ["v2", "v2", "v2"]
    assert "Batch 1: ns1" in second.summary and "Batch 3: ns3" in second.summary
    release = second.outputs["release"]
    hosts = {h["host"]: h["steps"] for h in json.loads(second.outputs["hosts"])}
    times = [_deployed_at(h, app.name, release) for h in app.hosts]
    for before, after in zip(app.hosts, app.hosts[1:], strict=False):
        # The earlier host's record step came after its audit time was taken; then the pause;
        # then every step of the later host up to its own record.
        floor = (
            _seconds(hosts[before.name], only="record")
            + WAIT
            + _seconds(hosts[after.name], skip=("connect", "lock", "record", "prune-images"))
        )
        gap = times[app.hosts.index(after)] - times[app.hosts.index(before)]
        assert gap >= floor - 0.01, (before.name, after.name, gap, floor, hosts)


class _Output:
    """The action's output, read as it comes (the runner flushes every line)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        assert process.stdout is not None
        self.reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def has(self, line: str) -> bool:
        return any(seen.rstrip("\n") == line for seen in list(self.lines))

    def cancel(self) -> str:
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=180)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.reader.join(timeout=30)
        return "".join(self.lines)


def test_cancel_during_batch_wait_keeps_finished_hosts_and_touches_no_other(fleet: App) -> None:
    """A host that finished (checked, watched, recorded) keeps the new release: a cancel puts
    back only the hosts it left half done. The hosts after the pause are not touched."""
    app = fleet
    first = app.deploy("v1")
    assert first.code == 0, first.log
    process = app.start_process("v2", {"batch-size": "1", "batch-wait": "10m"})
    output = _Output(process)
    try:
        # ns1's finish is printed once it is recorded as deployed; then the pause starts.
        assert wait_until(lambda: output.has("== ns1: finish"), 120), output.lines
    finally:
        text = output.cancel()
    assert process.returncode == 1, text
    assert "cancelled" in text
    assert _serving(app) == ["v2", "v1", "v1"]
    assert _audit(app.hosts[0], app.name) == ["deployed", "deployed"]
    for host in app.hosts[1:]:
        assert _audit(host, app.name) == ["deployed"]
        assert all("-r1-" in n for n in host.containers(app.name, all_states=True))
    for host in app.hosts:
        assert not (_state(host, app.name) / "lock").exists(), host.name
    after = app.deploy("v2", {"lock-wait": "0s"})
    assert after.code == 0, after.log
    assert _serving(app) == ["v2", "v2", "v2"]


def _fails_on(*hosts: str) -> str:
    """A pre-deploy (a backup) that fails on the named namespace hosts only."""
    patterns = "|".join(f"*/ns-host{h[-1]}/*" for h in hosts)
    return f'case "$HOME" in {patterns}) echo "backup failed" >&2; exit 1;; esac'


def test_max_failures_lets_the_rollout_go_on_then_stops_it(fleet: App) -> None:
    app = fleet
    first = app.deploy("v1")
    assert first.code == 0, first.log
    one = first.outputs["release"]
    batches = {"batch-size": "1", "max-failures": "1"}
    # One failure is tolerated: ns2 is put back, ns3 still gets the release.
    tolerated = app.deploy("v2", {**batches, "pre-deploy": _fails_on("ns2")})
    assert tolerated.code == 0, tolerated.log
    two = tolerated.outputs["release"]
    results = {h["host"]: h["result"] for h in json.loads(tolerated.outputs["hosts"])}
    assert results == {"ns1": "deployed", "ns2": "rolled-back", "ns3": "deployed"}
    assert _serving(app) == ["v2", "v1", "v2"]
    # ... and the run says so: a warning naming the host left on the release before.
    (warning,) = [w for w in tolerated.annotations("warning") if "ns2" in w]
    assert one in warning and "max-failures" in warning
    # Two failures are more than max-failures 1: every host switched is put back.
    stopped = app.deploy("v1", {**batches, "pre-deploy": _fails_on("ns2", "ns3")})
    assert stopped.code == 1, stopped.log
    assert stopped.outputs["status"] == "rolled-back"
    results = {h["host"]: h["result"] for h in json.loads(stopped.outputs["hosts"])}
    assert results == {"ns1": "rolled-back", "ns2": "rolled-back", "ns3": "rolled-back"}
    assert _serving(app) == ["v2", "v1", "v2"]
    assert (_state(app.hosts[0], app.name) / "current").read_text().strip() == two
