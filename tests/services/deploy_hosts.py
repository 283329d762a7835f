"""Deploy targets for the deploy action: "hosts" made of sshd + a Docker engine + nginx.

A loopback host is an sshd on 127.0.0.1:<free port> whose sessions get their own ``HOME`` (the
action keeps its state, locks and releases under ``~/.shipyard``) and the shared dockerd, plus
an nginx whose prefix is ``$HOME/nginx``. The sample app (``sample_app/``) is built here in
several versions and pushed to the test bed's registry, each deployed by digest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.services import nginx as nginx_service
from tests.services import sshd
from tests.services._common import (
    REPO_ROOT,
    ServiceUnavailable,
    file_lock,
    log_tail,
    output_tail,
    pid_alive,
    require_binary,
    run,
    spawn,
    stop_pid,
    wait_until,
)
from tests.services.registry import Registry

SAMPLE_APP = Path(__file__).resolve().parent / "sample_app"
SHARED_DOCKER_HOST = "unix:///var/run/docker.sock"
# version -> UNHEALTHY_AFTER (-1 healthy, 0 unhealthy at start, N unhealthy after N s)
VERSIONS: Mapping[str, int] = {"v1": -1, "v2": -1, "v3": 0, "v4": 4}


@dataclass
class DeployHost:
    """One deploy target: where to SSH, its Docker engine, its nginx."""

    name: str
    ssh: sshd.SshServer
    home: Path
    docker_host: str
    nginx: nginx_service.Nginx
    netns: str | None = None
    extra_pids: tuple[int, ...] = field(default=())

    @property
    def address(self) -> str:
        return self.ssh.host

    @property
    def target(self) -> str:
        """The host as the action's ``hosts`` input names it (``addr`` or ``addr:port``)."""
        return self.address if self.ssh.port == 22 else f"{self.address}:{self.ssh.port}"

    @property
    def known_hosts_line(self) -> str:
        return self.ssh.known_hosts_line

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the docker CLI against this host's engine."""
        env = {k: v for k, v in os.environ.items() if k not in {"DOCKER_CONTEXT", "DOCKER_CONFIG"}}
        env["DOCKER_HOST"] = self.docker_host
        return run(["docker", *args], env=env, timeout=timeout)

    def proxy_inputs(self, app: str) -> dict[str, str]:
        """The deploy action's proxy inputs for this host's nginx (same form on every host)."""
        nginx = "nginx -p ~/nginx -c ~/nginx/nginx.conf -e ~/nginx/error.log"
        return {
            "proxy-config": f"~/nginx/conf.d/{app}.upstream.conf",
            "proxy-reload": f"{nginx} -s reload",
            "proxy-check": f"{nginx} -t -q",
        }

    def add_site(self, app: str) -> str:
        """Give ``app`` a server block on this host's nginx; the URL it is served at."""
        port = self.nginx.add_site(app)
        return f"http://{self.nginx.listen}:{port}/"

    def containers(self, app: str, *, all_states: bool = False) -> list[str]:
        """Names of the app's containers on this host (running ones unless ``all_states``)."""
        args = ["ps", "--format", "{{.Names}}", "--filter", f"label=shipyard.app={app}"]
        result = self.docker(*args, *(["--all"] if all_states else []))
        return sorted(result.stdout.split())

    def remove_app(self, app: str) -> None:
        names = self.containers(app, all_states=True)
        if names:
            self.docker("rm", "--force", *names)

    def sshd_log(self) -> str:
        return self.ssh.log.read_text(errors="replace")

    def cut_ssh(self) -> None:
        """Kill this host's sshd and every session it forked (an SSH outage mid-deploy)."""
        for pid in [*_descendants(self.ssh.pid), self.ssh.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(self.ssh.pid), 10)

    def restore_ssh(self) -> None:
        """Start sshd again on the same address, port and keys."""
        self.ssh = sshd.start(
            self.ssh.directory,
            name=self.ssh.name,
            environment=self.ssh.environment,
            listen=self.ssh.host,
            port=self.ssh.port,
            prefix=netns_prefix(self.netns) if self.netns else (),
            log_level="DEBUG1",
        )


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def start_loopback_host(directory: Path, name: str = "host") -> DeployHost:
    """An sshd + nginx on 127.0.0.1 using the shared dockerd."""
    if directory.exists():
        shutil.rmtree(directory)
    home = directory / "home"
    home.mkdir(parents=True)
    proxy = nginx_service.start(home / "nginx")
    try:
        server = sshd.start(
            directory / "sshd",
            name=name,
            environment={"HOME": str(home), "DOCKER_HOST": SHARED_DOCKER_HOST},
            log_level="DEBUG1",
        )
    except ServiceUnavailable:
        nginx_service.stop(proxy)
        raise
    return DeployHost(name, server, home, SHARED_DOCKER_HOST, proxy)


def stop_host(host: DeployHost) -> None:
    sshd.stop(host.ssh)
    nginx_service.stop(host.nginx)


@dataclass(frozen=True)
class SampleApp:
    """The sample app pushed to the registry: version -> reference by digest."""

    repository: str
    refs: Mapping[str, str]  # "v1" -> 127.0.0.1:5000/testbed/sample-app@sha256:...
    tags: Mapping[str, str]  # "v1" -> 127.0.0.1:5000/testbed/sample-app:v1
    registry: Registry


def build_sample_app(
    registry: Registry,
    base: str,
    directory: Path,
    versions: Mapping[str, int] = VERSIONS,
    repository: str = "testbed/sample-app",
) -> SampleApp:
    """Build and push each version (a build arg makes it unhealthy); return digest refs."""
    context = directory / "sample-app"
    if context.exists():
        shutil.rmtree(context)
    shutil.copytree(SAMPLE_APP, context)
    env = registry.docker_env()
    refs: dict[str, str] = {}
    tags: dict[str, str] = {}
    for version, unhealthy_after in versions.items():
        tag = registry.ref(repository, version)
        build = run(
            [
                "docker", "buildx", "build", "--provenance=false", "--platform", "linux/amd64",
                "--build-arg", f"BASE={base}", "--build-arg", f"VERSION={version}",
                "--build-arg", f"UNHEALTHY_AFTER={unhealthy_after}",
                "--tag", tag, "--push", str(context),
            ],
            env=env,
            timeout=300,
        )  # fmt: skip
        if build.returncode != 0:
            raise ServiceUnavailable("sample-app", f"build of {tag}: {output_tail(build)}")
        digest = run(
            [
                "docker",
                "buildx",
                "imagetools",
                "inspect",
                tag,
                "--format",
                "{{json .Manifest.Digest}}",
            ],
            env=env,
            timeout=60,
        )
        if digest.returncode != 0:
            raise ServiceUnavailable("sample-app", f"digest of {tag}: {output_tail(digest)}")
        refs[version] = f"{registry.address}/{repository}@{digest.stdout.strip().strip(chr(34))}"
        tags[version] = tag
    return SampleApp(repository, refs, tags, registry)


def remove_local_images(app: SampleApp, hosts: Sequence[DeployHost]) -> None:
    """Untag the sample app on the hosts' engines (layers shared with others stay)."""
    for host in hosts:
        listed = host.docker(
            "images", "--format", "{{.ID}}", app.registry.address + "/" + app.repository
        )
        ids = sorted(set(listed.stdout.split()))
        if ids:
            host.docker("rmi", "--force", *ids)


# -- hosts in network namespaces -----------------------------------------------------------
NETNS_LOCK = Path("/var/lock/shipyard-testbed-netns.lock")


@dataclass(frozen=True)
class Namespace:
    name: str
    index: int  # the K of 10.200.K.0/30 and 172.30.K.0/24

    @property
    def address(self) -> str:
        return f"10.200.{self.index}.2"

    @property
    def prefix(self) -> tuple[str, ...]:
        # nsenter enters the network namespace only (``ip netns exec`` also remounts /sys,
        # which hides the cgroup mounts dockerd needs).
        return netns_prefix(self.name)


def netns_prefix(name: str) -> tuple[str, ...]:
    return ("nsenter", f"--net=/var/run/netns/{name}", "--")


def _ip(*args: str, netns: str | None = None) -> None:
    argv = ["ip", *(["-n", netns] if netns else []), *args]
    result = run(argv, timeout=30)
    if result.returncode != 0:
        raise ServiceUnavailable("netns", f"{' '.join(argv)}: {output_tail(result)}")


def make_namespace(tag: str) -> Namespace:
    """A network namespace joined to this one by a veth pair (10.200.K.1 <-> 10.200.K.2)."""
    require_binary("netns", "ip")
    with file_lock(NETNS_LOCK):
        used = run(["ip", "-o", "addr"], timeout=30).stdout
        index = next(k for k in range(1, 250) if f" 10.200.{k}.1/" not in used)
        name = f"shipyard-{tag}"
        run(["ip", "netns", "del", name], timeout=30)
        _ip("netns", "add", name)
        outside, inside = f"sy{index}o", f"sy{index}i"
        run(["ip", "link", "del", outside], timeout=30)
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", name)
        _ip("addr", "add", f"10.200.{index}.1/30", "dev", outside)
        _ip("link", "set", outside, "up")
    _ip("addr", "add", f"10.200.{index}.2/30", "dev", inside, netns=name)
    _ip("link", "set", inside, "up", netns=name)
    _ip("link", "set", "lo", "up", netns=name)
    _ip("link", "add", "sybr0", "type", "bridge", netns=name)
    _ip("addr", "add", f"172.30.{index}.1/24", "dev", "sybr0", netns=name)
    _ip("link", "set", "sybr0", "up", netns=name)
    return Namespace(name, index)


def start_namespaced_dockerd(ns: Namespace, directory: Path) -> tuple[str, int]:
    """A dockerd of its own inside ``ns``; (DOCKER_HOST, pid)."""
    dockerd = require_binary("docker", "dockerd")
    run_dir = Path(f"/run/shipyard-{ns.name}")  # short: containerd's socket path is limited
    for path in (directory, run_dir):
        path.mkdir(parents=True, exist_ok=True)
    socket_path = run_dir / "docker.sock"
    docker_host = f"unix://{socket_path}"
    log = directory / "dockerd.log"
    argv = [
        *ns.prefix, dockerd, "--data-root", str(directory / "data"), "--exec-root",
        str(run_dir / "exec"), "--pidfile", str(run_dir / "docker.pid"), "-H", docker_host,
        "--iptables=false", "--ip-masq=false", "--bridge", "sybr0",
        "--containerd-namespace", ns.name, "--containerd-plugins-namespace", ns.name + "-plugins",
    ]  # fmt: skip
    pid = spawn(argv, log)
    env = {**os.environ, "DOCKER_HOST": docker_host}

    def answers() -> bool:
        return (
            run(
                ["docker", "version", "--format", "{{.Server.Version}}"], env=env, timeout=10
            ).returncode
            == 0
        )

    if not wait_until(lambda: not pid_alive(pid) or answers(), 60, 0.3) or not pid_alive(pid):
        stop_pid(pid)
        raise ServiceUnavailable("docker", f"dockerd in {ns.name} did not start:\n{log_tail(log)}")
    return docker_host, pid


def start_namespace_host(
    directory: Path, tag: str, forward_ports: Sequence[int] = (), name: str = ""
) -> DeployHost:
    """A host in its own network namespace: sshd on <addr>:22, its own dockerd and nginx;
    ``forward_ports`` of this namespace's loopback (the registry) reachable at the same port."""
    if directory.exists():
        shutil.rmtree(directory, ignore_errors=True)
    ns = make_namespace(tag)
    pids: list[int] = []
    try:
        docker_host, docker_pid = start_namespaced_dockerd(ns, directory / "docker")
        pids.append(docker_pid)
        if forward_ports:
            log = directory / "forward.log"
            argv = [sys.executable, "-m", "tests.services.netns_forward", ns.name]
            pids.append(
                spawn(
                    [*argv, *map(str, forward_ports)],
                    log,
                    env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                )
            )
            if not wait_until(lambda: "forwarding" in log.read_text(), 15):
                raise ServiceUnavailable("netns", f"forwarder did not start:\n{log_tail(log)}")
        home = directory / "home"
        home.mkdir(parents=True)
        proxy = nginx_service.start(home / "nginx", listen=ns.address, command_prefix=ns.prefix)
        pids.append(proxy.pid)
        server = sshd.start(
            directory / "sshd",
            name=name or tag,
            environment={"HOME": str(home), "DOCKER_HOST": docker_host},
            listen=ns.address,
            port=22,
            prefix=ns.prefix,
            log_level="DEBUG1",
        )
    except BaseException:
        for pid in reversed(pids):
            stop_pid(pid, timeout=30)
        run(["ip", "netns", "del", ns.name], timeout=30)
        raise
    return DeployHost(
        name or tag, server, home, docker_host, proxy, netns=ns.name, extra_pids=tuple(pids)
    )


def stop_namespace_host(host: DeployHost) -> None:
    sshd.stop(host.ssh)
    ids = host.docker("ps", "-aq").stdout.split()
    if ids:
        host.docker("rm", "--force", *ids, timeout=120)
    for pid in reversed(host.extra_pids):
        stop_pid(pid, timeout=30)
    if host.netns:
        run(["ip", "netns", "del", host.netns], timeout=30)
        shutil.rmtree(Path(f"/run/shipyard-{host.netns}"), ignore_errors=True)
