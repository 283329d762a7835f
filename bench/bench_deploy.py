"""Benchmark of the deploy action: deploy time to 1 host and to 4 hosts in parallel, rollback
time, and requests through nginx during a blue-green switch.

Usage: ``python bench/bench_deploy.py [--repeat N] [--steps] [--reverts] [--only-reverts]``

Method: the test bed's registry, the busybox base image and the sample app (v1, v2) are built
(``tests/services``; run ``bash tests/services/install.sh`` first, as root), then four "hosts",
each in its own network namespace with its own sshd (port 22), dockerd and nginx. Each
scenario runs the action as a process (``python -m shipyard.deploy``, as the bootstrap runs it,
minus the bootstrap), inputs through ``SHIPYARD_INPUT_*``, wall time around the process:

* **deploy, 1 host**: blue-green v1 -> v2 of one replica (v2 not yet pulled on the host: the
  pull is part of it), monitor 0, drain 1 s;
* **deploy, 4 hosts in parallel**: the same to four hosts in one batch. Target: <= 1.5x 1 host;
* **rollback**: ``mode: rollback`` back to v1, whose stopped containers are still there.
  Target: <= 5 s;
* **switch under load**: a v1 -> v2 deploy while 4 client threads send GETs (a new connection
  each) through the host's nginx: failed requests (target 0) and requests served per second
  during the deploy;
* **reverts under load** (``--reverts``, once): each way a release is taken back, while 3
  threads send fast GETs and 3 slow ones (``/cgi-bin/slow?1.5``, 1.5 s each) through nginx:
  the watch's error rate, a health check failing after the switch (v4), ``mode: rollback``,
  a cancel (SIGINT) during the watch. Failed requests per path (target 0 each);
* **cancel, 4 hosts** (``--reverts``): SIGINT during the watch of a deploy to four hosts; the
  time until v1 answers again through every host's nginx (GitHub gives a cancelled job about
  10 s), and until the action has exited. Beside it the floor of the orchestration alone: the
  same cancel on the tests' in-memory fleet (steps take no time), SIGTERM to the last host's
  rollback step starting.

Rows report the median over ``--repeat`` runs (min-max when more than one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.action_run import parse_file_commands  # noqa: E402
from tests.services import base_images, deploy_hosts, dockerd  # noqa: E402
from tests.services import registry as registry_service  # noqa: E402
from tests.services.deploy_hosts import DeployHost, SampleApp  # noqa: E402
from tests.services.loadgen import LoadGenerator, LoadResult, fetch  # noqa: E402

from shipyard.deploy.spec import SPEC  # noqa: E402

TARGET_PARALLEL_RATIO = 1.5
STEPS = False


def action_env(
    hosts: Sequence[DeployHost], app: str, inputs: Mapping[str, str], sample: SampleApp, temp: Path
) -> dict[str, str]:
    """The environment of ``python -m shipyard.deploy`` for ``hosts`` (inputs included)."""
    first = hosts[0]
    values = {
        "hosts": "\n".join(f"{h.name}={h.target}" for h in hosts),
        "user": first.ssh.user,
        "ssh-key": first.ssh.client_key.read_text(),
        "known-hosts": "\n".join(h.known_hosts_line for h in hosts),
        "app": app,
        "registry-username": sample.registry.username,
        "registry-password": sample.registry.password,
        "health-timeout": "20s",
        "health-interval": "0.2s",
        "monitor": "0",
        "drain-timeout": "1s",
        **first.proxy_inputs(app),
        **inputs,
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "SHIPYARD_INPUT_", "INPUT_"))
    }
    outputs = temp / "outputs"
    outputs.write_text("")
    env.update(RUNNER_TEMP=str(temp), GITHUB_RUN_NUMBER="1", PYTHONPATH=str(REPO / "src"))
    env.update(GITHUB_OUTPUT=str(outputs))
    env.update({SPEC.input(name).env_name: value for name, value in values.items()})
    return env


def run_action(
    hosts: Sequence[DeployHost],
    app: str,
    inputs: Mapping[str, str],
    sample: SampleApp,
    temp: Path,
    codes: tuple[int, ...] = (0,),
) -> tuple[float, int]:
    env = action_env(hosts, app, inputs, sample, temp)
    busy = busy_seconds()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "shipyard.deploy"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    MACHINE_CPU[seconds] = busy_seconds() - busy
    if done.returncode not in codes:
        print(done.stdout[-3000:], done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"the deploy of {app} failed (exit {done.returncode})")
    if STEPS:
        report = json.loads(parse_file_commands((temp / "outputs").read_text()).get("hosts", "[]"))
        for entry in report:
            steps = " ".join(f"{s['name']} {s['seconds']:.2f}" for s in entry["steps"])
            print(f"    {inputs.get('mode', 'deploy')} {entry['host']}: {steps}")
    return seconds, done.returncode


#: wall seconds of a run -> CPU seconds the whole machine spent meanwhile (action, ssh,
#: dockerd, containerd, runc, nginx, the app): what 4 hosts on one machine must share.
MACHINE_CPU: dict[float, float] = {}
CORES = os.cpu_count() or 1


def busy_seconds() -> float:
    """CPU seconds the machine has been busy since boot (every core; /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def forget(hosts: Sequence[DeployHost], app: str, ref: str) -> None:
    """Remove the app and the image from the hosts, so the next deploy pulls again."""
    for host in hosts:
        host.remove_app(app)
        host.docker("rmi", "--force", ref)


def summarize(values: Sequence[float]) -> str:
    median = statistics.median(values)
    spread = f" ({min(values):.2f}-{max(values):.2f})" if len(values) > 1 else ""
    return f"{median:.2f} s{spread}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--steps", action="store_true", help="print each host's step timings")
    parser.add_argument("--reverts", action="store_true", help="also the revert paths' rows")
    parser.add_argument("--only-reverts", action="store_true", help="only the revert rows")
    args = parser.parse_args()
    global STEPS
    STEPS = args.steps
    work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    engine = dockerd.ensure()
    dockerd.ensure_buildx(engine)
    registry = registry_service.start(work / "registry", engine.docker)
    hosts: list[DeployHost] = []
    try:
        base = base_images.build_and_push(registry, work / "base", engine.docker)
        sample = deploy_hosts.build_sample_app(
            registry, base.local_refs["linux/amd64"], work, {"v1": -1, "v2": -1, "v4": 4}
        )
        tag = f"b{os.getpid()}"
        for number in range(1, 5):
            hosts.append(
                deploy_hosts.start_namespace_host(
                    work / f"host{number}", f"{tag}-{number}", [registry.port], f"h{number}"
                )
            )
        key = hosts[0].ssh.client_key.with_name("id_ed25519.pub").read_text()
        for host in hosts[1:]:
            host.ssh.authorized_keys.write_text(host.ssh.authorized_keys.read_text() + key)
        if args.reverts or args.only_reverts:
            reverts(hosts, sample, work)
        if args.only_reverts:
            return 0
        one, four, rollback, serving, failed, rates = [], [], [], [], [], []
        for attempt in range(args.repeat):
            app = f"bench{attempt}"
            for host in hosts:
                host.add_site(app)
            v1, v2 = {"image": sample.refs["v1"]}, {"image": sample.refs["v2"]}
            run_action(hosts[:1], app, v1, sample, work)
            one.append(run_action(hosts[:1], app, v2, sample, work)[0])
            url = f"http://{hosts[0].address}:{_site_port(hosts[0], app)}/"
            watcher = _FirstAnswer(url, "v1")
            seconds = run_action(hosts[:1], app, {**v2, "mode": "rollback"}, sample, work)[0]
            rollback.append(seconds)
            serving.append(watcher.stop())
            with LoadGenerator(url, threads=4, max_requests=200_000, max_seconds=120) as load:
                load.wait_for(500)
                counted = load.count()
                started = time.monotonic()
                run_action(hosts[:1], app, v2, sample, work)
                window = time.monotonic() - started
                served = load.count() - counted
            failed.append(float(load.result.failed))
            rates.append(served / window)
            forget(hosts, app, sample.refs["v2"])
            run_action(hosts, app, v1, sample, work)
            four.append(run_action(hosts, app, v2, sample, work)[0])
            forget(hosts, app, sample.refs["v2"])
            forget(hosts, app, sample.refs["v1"])
        ratio = statistics.median(four) / statistics.median(one)
        parallel = f"{ratio:.2f}x of 1 host; target <= {TARGET_PARALLEL_RATIO}x"
        print(f"deploy, 1 host:                {summarize(one)}")
        print(f"deploy, 4 hosts in parallel:   {summarize(four)}  ({parallel})")
        cpu = statistics.median(MACHINE_CPU[x] for x in one)
        floor = max(statistics.median(one), 4 * cpu / CORES)
        print(
            f"  floor for 4 hosts:           {floor:.2f} s = {floor / statistics.median(one):.2f}x "
            f"(1 host busies the machine {cpu:.2f} CPU-s; x4 over {CORES} cores)"
        )
        print(f"rollback (containers kept):    {summarize(rollback)}  (target <= 5 s)")
        print(f"  v1 serving again after:      {summarize(serving)}")
        print(f"failed requests in a switch:   {int(max(failed))}  (target 0)")
        print(f"requests/s through the switch: {statistics.median(rates):.0f}")
    finally:
        for host in hosts:
            deploy_hosts.stop_namespace_host(host)
        registry_service.stop(registry)
        shutil.rmtree(work, ignore_errors=True)
    return 0


FAST, SLOW = "/", "/cgi-bin/slow?1.5"
#: drain-timeout over a slow request; the health check that counts its answers (v4: 4 good).
CAREFUL = {"drain-timeout": "10s", "health-path": "/cgi-bin/health"}
WATCH = {"monitor": "60s", "monitor-interval": "1s"}


def _load(url: str) -> LoadGenerator:
    return LoadGenerator(url, threads=6, paths=[FAST, SLOW], max_requests=500_000, max_seconds=300)


def _errors_after(url: str, load: LoadGenerator, stop: threading.Event) -> threading.Thread:
    """Requests to /cgi-bin/error (500) every 0.2 s once v2 answers (not counted)."""

    def send() -> None:
        while not stop.is_set() and not load.seen(FAST, "v2"):
            time.sleep(0.05)
        while not stop.wait(0.2):
            fetch(url + "cgi-bin/error")

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _sigint_once(process: subprocess.Popen[str], ready: Callable[[], bool]) -> float:
    """SIGINT to ``process`` once ``ready()``; the time it was sent (monotonic)."""
    while not ready():
        if process.poll() is not None:
            raise SystemExit(f"the deploy ended before the cancel: {process.communicate()[0]}")
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    return time.monotonic()


def _start(
    hosts: Sequence[DeployHost], app: str, inputs: Mapping[str, str], sample: SampleApp, temp: Path
) -> subprocess.Popen[str]:
    env = action_env(hosts, app, inputs, sample, temp)
    return subprocess.Popen(
        [sys.executable, "-m", "shipyard.deploy"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def revert_failures(host: DeployHost, sample: SampleApp, work: Path) -> dict[str, LoadResult]:
    """Each revert path under fast and slow load on one host: what the load saw."""
    app, results = "benchrevert", {}
    host.add_site(app)
    url = f"http://{host.address}:{_site_port(host, app)}/"
    v1, v2, v4 = ({"image": sample.refs[v], **CAREFUL} for v in ("v1", "v2", "v4"))
    log = {"proxy-access-log": f"~/nginx/{app}.access.log", "max-error-rate": "0"}
    paths: dict[str, Callable[[LoadGenerator], object]] = {
        "watch (error rate)": lambda load: _with_errors(
            url, load, lambda: run_action([host], app, {**v2, **WATCH, **log}, sample, work, (1,))
        ),
        "health check after the switch": lambda _load: run_action(
            [host], app, {**v4, **WATCH}, sample, work, (1,)
        ),
        "mode: rollback": lambda _load: run_action(
            [host], app, {**v2, "mode": "rollback"}, sample, work
        ),
        "cancel during the watch": lambda load: _cancel_one(host, app, v2, sample, work, load),
    }
    for name, revert in paths.items():
        run_action([host], app, v1, sample, work)
        if name == "mode: rollback":
            run_action([host], app, v2, sample, work)
        with _load(url) as load:
            load.wait_for(30)
            revert(load)
            load.wait_for(load.count() + 60)
        results[name] = load.result
    forget([host], app, sample.refs["v1"])
    return results


def _with_errors(url: str, load: LoadGenerator, deploy: Callable[[], object]) -> object:
    stop = threading.Event()
    sender = _errors_after(url, load, stop)
    try:
        return deploy()
    finally:
        stop.set()
        sender.join(30)


def _cancel_one(
    host: DeployHost, app: str, v2: Mapping[str, str], sample: SampleApp, work: Path,
    load: LoadGenerator,
) -> None:  # fmt: skip
    process = _start([host], app, {**v2, **WATCH}, sample, work)
    _sigint_once(process, lambda: load.seen(SLOW, "v2"))
    process.communicate(timeout=180)


def cancel_seconds(
    hosts: Sequence[DeployHost], sample: SampleApp, work: Path
) -> tuple[float, float]:
    """SIGINT during the watch of a v1 -> v2 deploy to ``hosts``: seconds until v1 answers
    through every host's nginx, and until the action exited."""
    app = "benchcancel"
    for host in hosts:
        host.add_site(app)
    urls = [f"http://{h.address}:{_site_port(h, app)}/" for h in hosts]
    run_action(hosts, app, {"image": sample.refs["v1"], **CAREFUL}, sample, work)
    process = _start(hosts, app, {"image": sample.refs["v2"], **CAREFUL, **WATCH}, sample, work)
    sent = _sigint_once(process, lambda: all(fetch(url) == "v2" for url in urls))
    watchers = [_FirstAnswer(url, "v1") for url in urls]
    process.communicate(timeout=180)
    exited = time.monotonic() - sent
    serving = max(w.stop() + (w.started - sent) for w in watchers)
    forget(hosts, app, sample.refs["v1"])
    return serving, exited


def memory_cancel_floor(repeat: int = 20) -> float:
    """The same cancel on the in-memory fleet (4 hosts, steps take no time): median seconds
    from the SIGTERM to the last host's record of its rollback (the old release serves)."""
    return statistics.median(_memory_cancel() for _ in range(repeat))


def _memory_cancel() -> float:
    from tests.deploy.memory_fleet import MemoryFleet
    from tests.deploy.orchestra import OLD, run, settings

    names = ["h1", "h2", "h3", "h4"]
    sims = MemoryFleet(names)
    for sim in sims.hosts.values():
        sim.deployed(OLD)
    held = [sims.hold(name, "watch-1") for name in names[:-1]]
    all_held = threading.Event()

    def wait_held() -> None:
        if all(event.wait(10) for event in held):
            all_held.set()

    threading.Thread(target=wait_held, daemon=True).start()
    sims.cancel_at(names[-1], "watch-1", after=all_held)
    marks: dict[str, float] = {}

    def mark(host: str, step: str) -> None:
        if step == "watch-1" and host == names[-1]:
            marks["sent"] = time.monotonic()
        if step == "record":
            marks[host] = time.monotonic()

    sims.on_step = mark
    done = run(sims, settings(names, monitor="120s", **{"monitor-interval": "1s"}))
    assert done.cancelled and all(sim.serving == OLD for sim in sims.hosts.values())
    return max(marks[n] for n in names) - marks["sent"]


def reverts(hosts: Sequence[DeployHost], sample: SampleApp, work: Path) -> None:
    """The revert rows."""
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for name, result in revert_failures(hosts[0], sample, work).items():
        slow = result.sent[SLOW]
        print(
            f"failed requests, {name + ':':31} {result.failed} of {result.total} "
            f"({slow} slow; target 0)"
        )
    serving, exited = cancel_seconds(hosts, sample, work)
    print(f"cancel, 4 hosts: v1 serving on all after {serving:.2f} s; action exited after "
          f"{exited:.2f} s (GitHub's grace: about 10 s)")  # fmt: skip
    print(f"  floor, in-memory fleet:      {memory_cancel_floor() * 1000:.1f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


class _FirstAnswer:
    """Polls ``url`` from now on; :meth:`stop` returns when ``answer`` first came back."""

    def __init__(self, url: str, answer: str) -> None:
        self.url, self.answer = url, answer
        self.started = time.monotonic()
        self.seen: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set() and self.seen is None:
            if fetch(self.url) == self.answer:
                self.seen = time.monotonic() - self.started
            time.sleep(0.02)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.seen if self.seen is not None else float("nan")


def _site_port(host: DeployHost, app: str) -> int:
    site = (host.nginx.prefix / "sites" / f"{app}.conf").read_text()
    listen = next(line for line in site.splitlines() if "listen" in line)
    return int(listen.rsplit(":", 1)[1].rstrip(";"))


if __name__ == "__main__":
    raise SystemExit(main())
