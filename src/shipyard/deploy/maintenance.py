"""mode: maintenance. ``maintenance: on``: nginx answers every request for the app with 503,
a page (``maintenance-page``, else a plain one) and ``Retry-After`` (``retry-after``), for
planned downtime; the app's containers keep running. ``off``: traffic goes back to the live
release (its containers checked first). The deploy lock is taken for it (a deploy cannot
switch halfway through), on every host at once; the steps are in :mod:`.maintenance_steps`.
``dry-run`` takes the lock and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shipyard.runtime import Cleanup

from .fleet import Fleet
from .lock import DeployLock
from .maintenance_steps import MaintenanceOff, MaintenanceOn, default_page
from .ops import OpsMode
from .releases import audit_line
from .spec import Settings
from .steps import RemoteStep


class MaintenanceMode(OpsMode):
    """mode: maintenance (see the module)."""

    mode = "maintenance"

    def __init__(
        self,
        settings: Settings,
        fleet: Fleet,
        wall: Callable[[], float],
        lock: DeployLock,
        cleanup: Cleanup,
        page: str | None,
    ) -> None:
        super().__init__(settings, fleet, wall)
        self.lock = lock
        self.cleanup = cleanup
        self.page = page or default_page(settings.app)

    def prepare(self) -> bool:
        """Take the lock on every host (released at the end, or on a cancel)."""
        self.cleanup.push(self.lock.release_all, "release the deploy locks")
        self.lock.take_all()
        return not self.settings.dry_run

    def step(self, name: str) -> RemoteStep[Any]:
        """On or off."""
        s, r, now = self.settings, self.fleet.renderer, self.wall()
        event = f"maintenance-{s.maintenance}"
        current = self.fleet.view(name).facts.current
        audit = audit_line(event, current, now, r.run_url, r.actor)
        if s.maintenance == "on":
            return MaintenanceOn(r, self.page, int(s.retry_after), int(now), audit)
        return MaintenanceOff(r, audit)

    def detail(self, name: str, value: tuple[str, ...] | None) -> dict[str, object]:
        """on or off (as the host says), and the live release."""
        current = self.fleet.view(name).facts.current
        if value is None:
            return {"maintenance": "", "live-release": current}
        return {"maintenance": value[0] if value else "", "live-release": current}

    def release(self, name: str, value: tuple[str, ...]) -> str:
        """The live release (as the lock step found it)."""
        return self.fleet.view(name).facts.current
