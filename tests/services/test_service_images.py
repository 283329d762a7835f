"""The service images behave like postgres:15 and redis:7 where the pipelines rely on it: a
password login over TCP into the database POSTGRES_DB names, pg_isready, redis-cli PING, and
Redis data that survives a restart (the agentic runbook's backup and restore)."""

from __future__ import annotations

import secrets
import time

from tests.services._common import run
from tests.services.registry import Registry
from tests.services.service_images import ServiceImages


def _wait_healthy(name: str, env: dict[str, str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = run(["docker", "inspect", "-f", "{{.State.Health.Status}}", name], env=env)
        if state.stdout.strip() == "healthy":
            return
        time.sleep(0.5)
    logs = run(["docker", "logs", name], env=env)
    raise AssertionError(f"{name} not healthy: {logs.stdout}{logs.stderr}")


def test_postgres_takes_a_password_login_into_its_database(
    service_images_pushed: ServiceImages, registry: Registry
) -> None:
    env = registry.docker_env()
    name = f"svc-test-pg-{secrets.token_hex(3)}"
    started = run(
        ["docker", "run", "-d", "--name", name, "-e", "POSTGRES_PASSWORD=s3cret",
         "-e", "POSTGRES_DB=test", "--health-cmd", "pg_isready -h 127.0.0.1",
         "--health-interval", "1s", service_images_pushed.postgres],
        env=env, timeout=180,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        _wait_healthy(name, env)
        query = ["docker", "exec", "-e", "PGPASSWORD=s3cret", name, "psql", "-h", "127.0.0.1",
                 "-U", "postgres", "-d", "test", "-tAc"]  # fmt: skip
        answer = run([*query, "SELECT current_database(), 6 * 7"], env=env, timeout=60)
        assert answer.stdout.strip() == "test|42", answer.stderr
        wrong = run(["docker", "exec", "-e", "PGPASSWORD=wrong", *query[4:], "SELECT 1"], env=env)
        assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
    finally:
        run(["docker", "rm", "-f", "-v", name], env=env, timeout=60)


def test_redis_answers_and_keeps_its_data_across_a_restart(
    service_images_pushed: ServiceImages, registry: Registry
) -> None:
    env = registry.docker_env()
    name = f"svc-test-redis-{secrets.token_hex(3)}"
    started = run(
        ["docker", "run", "-d", "--name", name, "--health-cmd", "redis-cli ping",
         "--health-interval", "1s", service_images_pushed.redis],
        env=env, timeout=180,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        _wait_healthy(name, env)
        cli = ["docker", "exec", name, "redis-cli"]
        assert run([*cli, "SET", "schema", "v1"], env=env).stdout.strip() == "OK"
        assert run([*cli, "SAVE"], env=env).stdout.strip() == "OK"
        assert run(["docker", "restart", name], env=env, timeout=60).returncode == 0
        _wait_healthy(name, env)
        assert run([*cli, "GET", "schema"], env=env).stdout.strip() == "v1"
    finally:
        run(["docker", "rm", "-f", "-v", name], env=env, timeout=60)
