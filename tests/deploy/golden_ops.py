"""The golden cases of Deploy 2's steps (disk check, old images, HTTPS, exec, logs, status,
maintenance), joined to ``test_golden_scripts.cases()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shipyard.deploy import steps as st
from shipyard.deploy.images import PruneImages
from shipyard.deploy.maintenance_steps import MaintenanceOff, MaintenanceOn, default_page
from shipyard.deploy.ops_steps import Exec, Logs, Status
from shipyard.deploy.releases import LockHolder
from shipyard.deploy.render import ScriptRenderer
from shipyard.deploy.site import Site, SiteConfig
from shipyard.deploy.tls import Certificate
from tests.deploy.test_pure import EVIL

#: Not a real certificate: the step carries the text, it never reads it.
CHAIN = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHfake\n-----END PRIVATE KEY-----\n"


def ops_cases(renderer: Callable[..., ScriptRenderer]) -> dict[str, st.RemoteStep[Any]]:
    """One step value per case."""
    r = renderer()
    holder = LockHolder("lockid1", "https://github.example/o/r/actions/runs/1", "octocat",
                        1700000000.0, 1800.0, r.release)  # fmt: skip
    certificate = Certificate(CHAIN, KEY, 1800000000.0, ("api.example.com", "*.example.com"))
    site = SiteConfig(("api.example.com", "www.example.com"), 443, 80, 31536000, certificate,
                      access_log="~/nginx/api.access.log")  # fmt: skip
    paths = SiteConfig(("api.example.com",), 8443, 0, 0, None,
                       "/etc/letsencrypt/live/api/fullchain.pem",
                       "/etc/letsencrypt/live/api/privkey.pem")  # fmt: skip
    return {
        "lock-disk-check": st.Lock(r, holder, space=2 * 1024**3, image="reg/api:1"),
        "prune-images": PruneImages(r, 5),
        "tls": Site(r, site),
        "tls-paths": Site(r, paths),
        "exec": Exec(r, f"./manage.py migrate --noinput && echo {EVIL}"),
        "logs": Logs(r, 100, "10m"),
        "logs-tail": Logs(r, 5),
        "status": Status(r),
        "maintenance-on": MaintenanceOn(
            r, default_page("api"), 300, 1700000000, '{"event": "maintenance-on"}'
        ),
        "maintenance-off": MaintenanceOff(r, '{"event": "maintenance-off"}'),
    }
