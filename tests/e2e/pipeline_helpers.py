"""Helpers for the runbook pipeline tests (tests/e2e/test_runbook_*_act.py): settings that point
an example at the test bed, and the checks they share."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.act import ActRun
from tests.e2e.images import track
from tests.services._common import output_tail, run
from tests.services.python_image import PythonImage
from tests.services.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
APPROVAL_TOKEN = "ghp_shipyard_pipeline_approvals"
OSV_DB = ROOT / "tests" / "data" / "osv-pypi"  # the audit action's offline advisory mirror


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


def copy_in_registry(registry: Registry, source: str, target: str) -> None:
    """Tag ``source`` as ``target`` inside the registry (no local copy: whoever scans
    ``target`` must pull it from the registry, with its credentials)."""
    argv = ["docker", "buildx", "imagetools", "create", "--tag", target, source]
    result = run(argv, env=registry.docker_env(), timeout=120)
    assert result.returncode == 0, f"imagetools create {target}: {output_tail(result)}"


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


#: The team's integration tests that need the CI's PostgreSQL and Redis service containers
#: (DATABASE_URL and REDIS_URL come from python-ci's test-env).
SERVICE_TESTS = '''\
"""Integration tests against the CI's PostgreSQL and Redis."""

import os
import urllib.parse

import pg8000.native
import redis


def test_orders_are_stored_in_postgres() -> None:
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    db = pg8000.native.Connection(
        url.username or "postgres",
        password=url.password,
        host=url.hostname or "localhost",
        port=url.port or 5432,
        database=url.path.lstrip("/"),
    )
    db.run("CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, total integer)")
    db.run("INSERT INTO orders (total) VALUES (42)")
    assert db.run("SELECT max(total) FROM orders") == [[42]]
    assert db.run("SHOW server_version")[0][0].startswith("15.")
    db.close()
'''
REDIS_TESTS = """

def test_the_basket_cache_is_redis() -> None:
    cache = redis.Redis.from_url(os.environ["REDIS_URL"])
    cache.set("basket:1", "3 items")
    assert cache.get("basket:1") == b"3 items"
    assert str(cache.info()["redis_version"]).startswith("7.")
"""
SERVICE_CLIENTS = "pg8000==1.31.5\nredis==8.1.0\n"


def with_service_tests(
    files: dict[str, str], prefix: str = "", redis: bool = True, postgres: bool = True
) -> dict[str, str]:
    """The sample app plus integration tests against the service containers and their clients
    (pg8000, redis-py)."""
    seeded = dict(files)
    head, _, postgres_test = SERVICE_TESTS.partition("\n\n\ndef ")
    text = (
        head + ("\n\n\ndef " + postgres_test if postgres else "\n") + (REDIS_TESTS if redis else "")
    )
    if not redis:
        text = text.replace("import redis\n", "")
    if not postgres:
        text = text.replace("import urllib.parse\n\nimport pg8000.native\n", "\n")
    seeded[f"{prefix}tests/test_integration.py"] = text
    seeded[f"{prefix}requirements-dev.txt"] += SERVICE_CLIENTS
    # the clients are the tests' dependencies: mypy (run without them) is told so
    seeded[f"{prefix}pyproject.toml"] += (
        '\n[[tool.mypy.overrides]]\nmodule = ["pg8000.*", "redis.*"]\n'
        "ignore_missing_imports = true\n"
    )
    return seeded


def service_vars(images: Any) -> dict[str, str]:
    """The vars that point an example's service containers at the test bed's images."""
    return {"POSTGRES_IMAGE": images.postgres, "REDIS_IMAGE": images.redis}


def strip_colours(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


#: Code no test runs: the sample app's coverage drops below the runbooks' gates (80%, 85%).
UNCOVERED = "\n".join(
    [
        '"""Reports nobody tests yet."""',
        "",
        "",
        "def monthly_totals(orders: list[dict[str, int]]) -> dict[int, int]:",
        "    totals: dict[int, int] = {}",
        *[
            line
            for month in range(1, 41)
            for line in (
                f'    if any(o["month"] == {month} for o in orders):',
                f"        totals[{month}] = sum("
                f'o["total"] for o in orders if o["month"] == {month})',
            )
        ],
        "    return totals",
        "",
    ]
)
