"""The edges of the health checks (issue 24): how many probes a new container gets, what the
probe sends and reads, and the error rate at exactly max-error-rate (on the in-memory fleet).

The probe's bash runs for real here (no host: ``docker``, ``say`` and ``sleep`` are bash
functions that count what they are asked, and the HTTP server is this test's own)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from shipyard.deploy import health, markers, strategies
from shipyard.deploy import steps as st
from tests.deploy.memory_fleet import MemoryFleet, reply
from tests.deploy.orchestra import NEW, OLD, run, settings


def bash(script: str) -> str:
    """Run ``script`` in bash; its output (it must succeed)."""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def probes_and_pauses(attempts: int, interval: float) -> tuple[int, list[float]]:
    """Run ``wait_healthy`` against a container that never answers: how many probes it made
    and the pauses it took between them."""
    stubs = """
docker() { [[ $1 == port ]] && echo "0.0.0.0:1234"; [[ $1 == inspect ]] && echo true; :; }
http_status() { echo probe >&2; printf 000; }
say() { echo "say $*" >&2; }
sleep() { echo "sleep $1" >&2; }
"""
    script = (
        health.functions(8080, "/health")
        + stubs
        + f"wait_healthy c1 {attempts} {interval:g} 2>&1 || echo unhealthy"
    )
    lines = bash(script).splitlines()
    assert lines[-1] == "unhealthy"
    pauses = [float(line.split()[1]) for line in lines if line.startswith("sleep ")]
    return lines.count("probe"), pauses


@pytest.mark.parametrize(
    ("timeout", "interval"), [(60.0, 1.0), (10.0, 2.0), (5.0, 2.0), (0.5, 1.0), (3.0, 0.5)]
)
def test_a_new_container_gets_health_timeout_and_not_one_probe_fewer(
    timeout: float, interval: float
) -> None:
    """The last probe is made no earlier than health-timeout after the first (so a container
    that needs the whole timeout is seen healthy), and not a whole interval later."""
    probes, pauses = probes_and_pauses(health.attempts(timeout, interval), interval)
    assert probes == health.attempts(timeout, interval)
    assert pauses == [interval] * (probes - 1)
    assert sum(pauses) >= timeout
    assert sum(pauses) - interval < timeout


def test_the_number_of_probes() -> None:
    assert health.attempts(60, 1) == 61
    assert health.attempts(10, 2) == 6
    assert health.attempts(11, 2) == 7
    assert health.attempts(0.5, 1) == 2
    assert health.attempts(0, 1) == 1  # no time to wait: one probe, at once
    assert health.attempts(1, 0) == 11  # no pause: one every 0.1s, not a busy loop


def test_a_container_that_exits_is_not_probed_again() -> None:
    stubs = """
docker() { [[ $1 == port ]] && echo "0.0.0.0:1234"; [[ $1 == inspect ]] && echo false; :; }
http_status() { echo probe >&2; printf 000; }
say() { echo "say $*" >&2; }
sleep() { echo "sleep $1" >&2; }
"""
    out = bash(health.functions(8080, "/") + stubs + "wait_healthy c1 5 1 2>&1 || echo failed")
    assert out.splitlines() == ["probe", "say exited c1", "failed"]


class _Server(HTTPServer):
    status = 200
    paths: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.paths = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("status", [200, 204, 503])
def test_the_probe_asks_for_health_path_and_reads_the_status(server: _Server, status: int) -> None:
    server.status = status
    port = server.server_address[1]
    path = "/ready?probe=1&x='y'"
    assert bash(health.functions(8080, path) + f"http_status {port}") == str(status)
    assert server.paths == [path]


def test_a_port_nobody_listens_on_is_status_000(server: _Server) -> None:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    assert bash(health.functions(8080, "/health") + f"http_status {port}") == "000"


def test_the_error_rate() -> None:
    assert health.error_rate(0, 0) == 0.0  # no answers: no errors, and no division by zero
    assert health.error_rate(200, 10) == 5.0
    assert health.error_rate(3, 3) == 100.0


@pytest.mark.parametrize(
    ("answers", "errors", "status"),
    [(100, 10, "deployed"), (100, 11, "rolled-back"), (30, 3, "deployed"), (0, 0, "deployed")],
)
def test_an_error_rate_exactly_at_max_error_rate_passes(
    answers: int, errors: int, status: str
) -> None:
    """max-error-rate is the largest share allowed: 10% of 5xx passes max-error-rate 10."""
    sims = MemoryFleet(["web1"])
    sims.hosts["web1"].deployed(OLD)
    sims.hosts["web1"].requests = (answers, errors)
    extra = {"monitor": "2s", "monitor-interval": "1s", "proxy-access-log": "/var/log/a.log"}
    done = run(sims, settings(["web1"], **extra, **{"max-error-rate": "10"}))
    assert done.result is not None and done.result.status == status, done.log
    watches = [n for n in done.steps("web1") if n.startswith("watch-")]
    assert watches == (["watch-1", "watch-2"] if status == "deployed" else ["watch-1"])


def test_a_max_error_rate_of_zero_allows_no_5xx_at_all() -> None:
    sims = MemoryFleet(["web1"])
    sims.hosts["web1"].deployed(OLD)
    sims.hosts["web1"].requests = (1000, 1)
    extra = {"monitor": "1s", "monitor-interval": "1s", "proxy-access-log": "/var/log/a.log"}
    done = run(sims, settings(["web1"], **extra, **{"max-error-rate": "0"}))
    assert done.result is not None and done.result.status == "rolled-back", done.log
    assert done.result.story[0] == (
        "web1: error rate 0.1% (1/1000 answers) is over max-error-rate 0%"
    )


def access_line(status: int) -> str:
    """One line of nginx's combined log format (the status is the 9th field)."""
    return (
        f'127.0.0.1 - - [07/Dec/2026:13:00:00 +0000] "GET /a HTTP/1.1" {status} 12 "-" "curl/8"\n'
    )


@pytest.mark.parametrize(("answer", "code"), [(200, 0), (502, 1)])
def test_a_watch_check_counts_the_5xx_answers_since_the_switch(
    tmp_path: Path, answer: int, code: int
) -> None:
    """The check's bash, run for real on an access log: only the answers after byte ``since``
    count, and only 5xx ones are errors (a 404 is the client's); a container that does not
    answer 2xx fails the check."""
    before = access_line(500)  # before the switch: not this release's
    log = tmp_path / "access.log"
    log.write_text(before + "".join(access_line(s) for s in (200, 503, 500, 404, 200)))
    renderer = strategies.renderer_for(settings(["web1"]), NEW, "", "")
    step = st.Watch(renderer, ("api-1",), str(log), len(before.encode()), 1)
    stubs = f"host_port() {{ printf 1234; }}\nhttp_status() {{ printf {answer}; }}\n"
    script = markers.SAY + health.functions(8080, "/health") + stubs + step.body()
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stderr
    assert step.parse(reply(done.returncode, done.stdout.splitlines())) == st.Requests(5, 2)
    assert f"{markers.PREFIX} {markers.CHECK} api-1 {answer}" in done.stdout
