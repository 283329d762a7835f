"""The mode a run makes, built from its parts; and what is decided before any host is
contacted: the HTTPS certificate (checked here, exit 2) and the room the pull needs.

The entry point calls :func:`site_for` and :func:`disk_space` before it connects, then
:func:`mode_for` on the connected fleet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from shipyard.runtime import Cleanup
from shipyard.runtime.retry import Clock

from . import disk
from .fleet import Fleet
from .local_files import LocalFiles
from .lock import DeployLock
from .site import SiteConfig
from .spec import Settings

if TYPE_CHECKING:
    from shipyard.runtime import ActionContext

    from .ops_report import OpsResult
    from .report import Result


class Mode(Protocol):
    """What every mode is: a run on the fleet that returns the result for the report."""

    def run(self) -> Result | OpsResult:
        """Run the mode."""
        ...


@dataclass(frozen=True)
class Space:
    """What the disk check before the pull asks for (0: none)."""

    needed: int = 0
    why: str = ""


def site_for(settings: Settings, now: float, warn: Callable[[str], None]) -> SiteConfig | None:
    """The HTTPS set-up, the certificate checked locally (InputError naming the input when it
    expired, its key does not match, or it does not cover a server-name); None without HTTPS.
    A certificate with less than two weeks left is deployed with a warning."""
    s = settings
    if not (s.tls_cert or s.tls_cert_path):
        return None
    from . import tls
    from .site import site_config

    certificate = None
    if s.tls_cert:
        certificate = tls.check(s.tls_cert, s.tls_key, s.server_name, now)
        days = certificate.days_left(now)
        if days < tls.EXPIRY_WARNING_DAYS:
            warn(f"The certificate in tls-cert expires in {days:.0f} day(s): renew it soon.")
    return site_config(
        s.server_name, s.https_port, s.http_port, s.hsts_max_age, certificate,
        (s.tls_cert_path or "", s.tls_key_path or ""), s.proxy_access_log,
    )  # fmt: skip


def disk_space(ctx: ActionContext[Settings]) -> Space:
    """mode deploy: the room the pull needs (the image's size from its registry manifest,
    at least min-free-space); a size the registry cannot give is noted and min-free-space
    alone is asked for."""
    s = ctx.settings
    minimum = s.free_space
    if s.mode != "deploy" or minimum <= 0:
        return Space()
    from .registry import image_size

    size, problem = image_size(
        ctx.http("registry", attempts=2), s.image, s.registry_username, s.registry_password,
        ctx.runner.mask,
    )  # fmt: skip
    if problem:
        ctx.runner.info(f"The image's size could not be read from its registry ({problem}): "
                        "the disk check asks for min-free-space.")  # fmt: skip
    return Space(disk.needed(size, minimum), disk.why(size, minimum))


def mode_for(
    settings: Settings,
    fleet: Fleet,
    lock: DeployLock,
    files: LocalFiles,
    site: SiteConfig | None,
    cleanup: Cleanup,
    clock: Clock,
    wall: Callable[[], float],
) -> Mode:
    """The mode the settings ask for, on the connected fleet."""
    from . import strategies

    s = settings
    if s.mode == "rollback":
        from .rollback import Rollback

        return Rollback(s, fleet, lock, files.env, cleanup, wall)
    if s.mode == "exec":
        from .execute import ExecMode

        return ExecMode(s, fleet, wall)
    if s.mode == "logs":
        from .logs import LogsMode

        return LogsMode(s, fleet, wall)
    if s.mode == "status":
        from .status import StatusMode

        return StatusMode(s, fleet, wall)
    if s.mode == "maintenance":
        from .maintenance import MaintenanceMode

        return MaintenanceMode(s, fleet, wall, lock, cleanup, files.page)
    from .deploy import Deploy

    deployment = strategies.Deployment(s, fleet.renderer, files.env, files.compose, wall, site)
    return Deploy(s, fleet, lock, strategies.strategy_for(deployment), cleanup, clock)
