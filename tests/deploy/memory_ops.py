"""The in-memory fleet's answers to Deploy 2's steps: the disk check, old images, HTTPS, exec,
logs, status and maintenance (``memory_fleet.MemoryFleet`` registers them).

What each simulated host keeps for them is :class:`OpsState` (``SimHost.ops``); as for the
other steps, the answer is the exit code and the markers the script would print.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shipyard.deploy import markers as m
from shipyard.deploy import steps as st
from shipyard.deploy.disk import NO_SPACE
from shipyard.deploy.images import PruneImages
from shipyard.deploy.maintenance_steps import MaintenanceOff, MaintenanceOn
from shipyard.deploy.ops_steps import Exec, Logs, Status
from shipyard.deploy.site import Site

if TYPE_CHECKING:
    from tests.deploy.memory_fleet import MemoryFleet, Reply, SimHost

ROOT = "/var/lib/docker"


def image_id(ref: str) -> str:
    """The simulated engine's id of an image reference (one image per tag)."""
    return "sha256:" + hashlib.sha256(ref.encode()).hexdigest()


@dataclass
class OpsState:
    """What a simulated host keeps for Deploy 2's steps."""

    free: int = 50 * 1024**3  # bytes free on docker's data root
    images: set[str] = field(default_factory=set)  # image references present on the engine
    protected: set[str] = field(default_factory=set)  # refs in another state dir's keep window
    in_use: set[str] = field(default_factory=set)  # refs other apps' containers use
    unreadable: str = ""  # a state dir that cannot be read
    certificates: list[str] = field(default_factory=list)  # fingerprints installed, in order
    site: str = ""  # the server block's fingerprint ('' none)
    tls_code: int = 200  # what the app answers through TLS
    curl: bool = True
    maintenance: tuple[str, ...] = ()  # ("on", PORT, SINCE) while on
    exec_result: tuple[int, str] = (0, "done")  # exit code, output of a command
    commands: list[tuple[str, str]] = field(default_factory=list)  # (container, command)
    logs: dict[str, list[str]] = field(default_factory=dict)  # container: its lines


def handlers(fleet: MemoryFleet) -> dict[type, Callable[[SimHost, Any], Reply]]:
    """The answers, by step type."""
    from tests.deploy.memory_fleet import reply, say

    base_pull = fleet._pull

    def pull(sim: SimHost, step: st.Pull) -> Reply:
        sim.ops.images.add(step.image or step.renderer.image)
        return base_pull(sim, step)

    def record_image(sim: SimHost, release: str) -> str:
        data = json.loads(sim.records.get(release, "{}"))
        return str(data.get("image", ""))

    def prune(sim: SimHost, step: PruneImages) -> Reply:
        if sim.ops.unreadable:
            return reply(0, [say(m.IMAGES_KEPT, f"cannot read {sim.ops.unreadable}/releases")])
        ids = sorted(sim.records, reverse=True)
        window = set(ids[: step.keep]) | {sim.current}
        in_use = {record_image(sim, r) for r, _s in sim.containers.values()} | sim.ops.in_use
        keep = in_use | {record_image(sim, r) for r in window} | sim.ops.protected
        lines = []
        for release in sorted(set(ids) - window):
            ref = record_image(sim, release)
            if ref in sim.ops.images and ref not in keep:
                sim.ops.images.discard(ref)
                lines.append(say(m.IMAGE_PRUNED, image_id(ref)))
        return reply(0, lines)

    def site(sim: SimHost, step: Site) -> Reply:
        lines = []
        certificate = step.site.certificate
        name = certificate.fingerprint if certificate else "paths"
        if certificate and name not in sim.ops.certificates:
            sim.ops.certificates.append(name)
            lines.append(say(m.TLS_INSTALLED, name))
        lines.append(say(m.SITE_UNCHANGED if sim.ops.site == name else m.SITE_WRITTEN))
        before, sim.ops.site = sim.ops.site, name
        if not sim.ops.curl:
            return reply(0, [*lines, say(m.TLS_UNCHECKED, "no curl on the host")])
        code = 503 if sim.ops.maintenance else sim.ops.tls_code
        if sim.serving in sim.sick:
            code = 502
        good = code == 503 if sim.ops.maintenance else 200 <= code < 300
        if good:
            return reply(0, [*lines, say(m.TLS_HEALTHY, code)])
        if before != name:  # the block that served before is put back
            sim.ops.site = before
            lines.append(say(m.SITE_RESTORED))
        return reply(1, [*lines, say(m.TLS_UNHEALTHY, code)])

    def live(sim: SimHost) -> list[str]:
        return sorted(
            n for n, (r, s) in sim.containers.items() if r == sim.current and s == "running"
        )

    def exec_(sim: SimHost, step: Exec) -> Reply:
        names = live(sim)
        if not names:
            return reply(1, [say(m.NO_LIVE, sim.current or "none")])
        sim.ops.commands.append((names[0], step.command))
        code, output = sim.ops.exec_result
        return reply(0, [say(m.EXEC_IN, names[0], sim.current),
                         *(f"| {line}" for line in output.splitlines()),
                         say(m.EXEC_EXIT, code)])  # fmt: skip

    def logs(sim: SimHost, step: Logs) -> Reply:
        lines = [say(m.CURRENT, sim.current)]
        for name in sorted(n for n, (r, _s) in sim.containers.items() if r == sim.current):
            lines.append(say(m.LOG_OF, name))
            lines += [f"| {line}" for line in sim.ops.logs.get(name, [])[-step.lines :]]
        return reply(0, lines)

    def status(sim: SimHost, step: Status) -> Reply:
        now = int(fleet.clock.now())
        lines = [say(m.CURRENT, sim.current), say(m.NOW, now)]
        if sim.lock is not None:
            lines += [say(m.LOCKED), say(m.HOLDER, sim.lock["holder"])]
        lines.append(say(m.MAINTENANCE, *(sim.ops.maintenance or ("off",))))
        lines += [say(m.RELEASE, record) for record in sim.records.values()]
        for name, (release, state) in sorted(sim.containers.items()):
            if release == sim.current:
                code = 200 if fleet._healthy(sim, name) else 502
                lines.append(say(m.LIVE, name, state, now - 60, code, "none", image_id(name)))
        return reply(0, lines)

    def maintenance_on(sim: SimHost, step: MaintenanceOn) -> Reply:
        port = sim.ops.maintenance[1] if sim.ops.maintenance else "20042"
        sim.ops.maintenance = ("on", port, str(step.since))
        sim.upstream = ["maintenance"]
        sim.audit.append(json.loads(step.audit_json))
        return reply(0, [say(m.PROXY_APPLIED), say(m.MAINTENANCE, *sim.ops.maintenance)])

    def maintenance_off(sim: SimHost, step: MaintenanceOff) -> Reply:
        if not sim.ops.maintenance:
            return reply(0, [say(m.MAINTENANCE, "off")])
        names = live(sim)
        if not names:
            return reply(1, [say(m.NO_LIVE, sim.current or "none")])
        sim.ops.maintenance = ()
        sim.upstream = names
        sim.audit.append(json.loads(step.audit_json))
        return reply(0, [say(m.SWITCHED, sim.current, *names), say(m.MAINTENANCE, "off")])

    return {
        st.Pull: pull, PruneImages: prune, Site: site, Exec: exec_, Logs: logs, Status: status,
        MaintenanceOn: maintenance_on, MaintenanceOff: maintenance_off,
    }  # fmt: skip


def short_of_space(sim: SimHost, step: st.Lock) -> Reply | None:
    """The lock step's disk check: refused (before the lock) when the image would not fit."""
    from tests.deploy.memory_fleet import reply, say

    if step.space and step.image not in sim.ops.images and sim.ops.free < step.space:
        return reply(NO_SPACE, [say(m.NO_SPACE, ROOT, sim.ops.free, step.space)])
    return None
