"""Helpers for the runbook pipeline tests (tests/e2e/test_runbook_*_act.py): settings that point
an example at the test bed, and the checks they share."""

from __future__ import annotations

import importlib.util
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.act import ActRun
from tests.e2e.images import track
from tests.services.python_image import PythonImage
from tests.services.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
APPROVAL_TOKEN = "ghp_shipyard_pipeline_approvals"
OSV_DB = ROOT / "tests" / "data" / "osv-pypi"  # the audit action's offline advisory mirror


def needs_actions(*actions: str) -> None:
    """Skip while an action's package is not in this checkout (written on another branch)."""
    missing = [a for a in actions if importlib.util.find_spec(f"shipyard.{a}") is None]
    if missing:
        pytest.skip(f"the {', '.join(missing)} action is not in this checkout yet")


def image_settings(
    registry: Registry, base: PythonImage, name: str
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A fresh image name in the test registry, the vars and the secrets pointing at it."""
    image = track(f"{registry.address}/pipelines/{name}-{secrets.token_hex(3)}")
    variables = {
        "IMAGE": image,
        "REGISTRY_USERNAME": registry.username,
        "BASE_IMAGE": base.ref,
    }
    logins = f"{registry.address}={registry.username}:{registry.password}"
    return image, variables, {"REGISTRY_PASSWORD": registry.password, "REGISTRY_LOGINS": logins}


def job_results(run: ActRun) -> dict[str, str]:
    return {key: job.result for key, job in run.jobs.items()}


def deploy_fixtures(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """The deploy action's test bed (its fixtures come with its package): a host and nginx."""
    return request.getfixturevalue("deploy_host"), request.getfixturevalue("smtp_server")


def deploy_settings(host: Any, prefix: str, app: str) -> tuple[dict[str, str], str]:
    """The vars that point an example's deploy at a test-bed host, and the app's URL."""
    url = host.add_site(app)
    proxy = host.proxy_inputs(app)
    return {
        f"{prefix}_HOSTS": host.target,
        f"{prefix}_KNOWN_HOSTS": host.known_hosts_line,
        "DEPLOY_USER": host.ssh.user,
        "PROXY_CONFIG": proxy["proxy-config"],
        "PROXY_RELOAD": proxy["proxy-reload"],
        "PROXY_CHECK": proxy["proxy-check"],
        "MONITOR": "3s",
        "STAGING_MONITOR": "3s",
        "MONITOR_INTERVAL": "1s",
    }, url


def lint_error(files: dict[str, str]) -> dict[str, str]:
    """The sample app with an unused import: ruff's F401 on app/server.py."""
    seeded = dict(files)
    seeded["app/server.py"] = seeded["app/server.py"].replace(
        "import json\n", "import json\nimport sys\n", 1
    )
    assert seeded["app/server.py"] != files["app/server.py"]
    return seeded
