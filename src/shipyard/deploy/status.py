"""mode: status. Per host, read without taking the lock (so a deploy in progress is seen as
it is): the live release, its image and digest, each of its containers' state, uptime and
health (``health-path`` through its loopback port, and its HEALTHCHECK's status), the
previous release (the one a rollback would go back to), whether the deploy lock is held and
by which run, and whether maintenance is on. The ``details`` output has it as JSON, one
object per host; the summary as a table.
"""

from __future__ import annotations

from typing import Any

from .ops import OpsMode
from .ops_steps import HostStatus, Status
from .releases import previous_release
from .steps import RemoteStep


def lock_detail(value: HostStatus) -> dict[str, object]:
    """Whether the lock is held, by which run, for how long, past its TTL or not."""
    holder = value.holder
    if not value.locked:
        return {"held": False}
    if holder is None:
        return {"held": True, "holder": "", "actor": "", "release": "", "age": None}
    age = max(0, int(value.now - holder.started)) if value.now else None
    return {
        "held": True,
        "holder": holder.run_url,
        "actor": holder.actor,
        "release": holder.release,
        "age": age,
        "stale": age is not None and age > holder.ttl,
    }


def status_detail(value: HostStatus) -> dict[str, object]:
    """The details entry of one host."""
    records = {r.id: r for r in value.records}
    record = records.get(value.current)
    previous = previous_release(value.records, value.current)
    containers = [
        {
            "name": c.name,
            "state": c.state,
            "uptime": value.now - c.started if c.state == "running" and c.started else None,
            "health": c.health,
            "docker-health": c.docker_health,
            "image": c.image,
        }
        for c in value.containers
    ]
    images = [c.image for c in value.containers]
    digest = (record.digest if record else "") or next(
        (value.digests[i] for i in images if value.digests.get(i)), ""
    )
    maintenance = value.maintenance[0] if value.maintenance else "off"
    return {
        "live-release": value.current,
        "image": record.image if record else "",
        "digest": digest,
        "deployed-by": record.actor if record else "",
        "containers": containers,
        "previous-release": previous.id if previous else "",
        "lock": lock_detail(value),
        "maintenance": maintenance,
    }


class StatusMode(OpsMode):
    """mode: status (see the module)."""

    mode = "status"

    def step(self, name: str) -> RemoteStep[Any]:
        """Read the host's state."""
        return Status(self.fleet.renderer)

    def detail(self, name: str, value: HostStatus | None) -> dict[str, object]:
        """See :func:`status_detail`."""
        return status_detail(value) if value is not None else {"live-release": ""}

    def release(self, name: str, value: HostStatus) -> str:
        """The live release."""
        return value.current
