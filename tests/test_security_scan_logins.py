"""security-scan.yml's "Registry logins" step, run by bash as the runner would (`bash -e`), with a
recording `docker` first on PATH: each REGISTRY_LOGINS line logs a job-private docker config
in with the password on stdin only, the password is masked, trivy is pointed at the config
(DOCKER_CONFIG), and a malformed line or a refused login stops the job without showing the
secret. Offline; the real pull with the login is tests/e2e/test_runbook_ci_act.py (amani)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FAKE_DOCKER = """#!/bin/sh
printf '%s\\n' "$*" >> "$CALLS"
cat >> "$STDIN"; printf '\\n' >> "$STDIN"
[ "$REFUSE" = "" ] || { echo "Error: unauthorized: ::warning::from the server" >&2; exit 1; }
echo "Login Succeeded"
"""


def logins_step() -> dict[str, object]:
    doc = yaml.safe_load((ROOT / ".github/workflows/security-scan.yml").read_text())
    steps = doc["jobs"]["scan"]["steps"]
    return next(step for step in steps if step.get("id") == "logins")


def run_step(tmp_path: Path, logins: str, refuse: bool = False) -> tuple[int, str, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(0o755)
    files = {n: tmp_path / n for n in ("calls", "stdin", "github_env", "github_output")}
    for path in files.values():
        path.write_text("")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "REGISTRY_LOGINS": logins,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_RUN_ID": "7",
        "GITHUB_JOB": "scan",
        "GITHUB_ENV": str(files["github_env"]),
        "GITHUB_OUTPUT": str(files["github_output"]),
        "CALLS": str(files["calls"]),
        "STDIN": str(files["stdin"]),
        "REFUSE": "1" if refuse else "",
    }
    script = str(logins_step()["run"])
    result = subprocess.run(
        ["bash", "-e", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    return result.returncode, result.stdout + result.stderr, tmp_path


def test_the_step_gets_the_secret_from_its_environment_only() -> None:
    step = logins_step()
    assert step["env"] == {"REGISTRY_LOGINS": "${{ secrets.REGISTRY_LOGINS }}"}
    assert step["if"] == "${{ inputs.image != '' }}"


def test_each_line_logs_the_private_config_in_with_the_password_on_stdin(tmp_path: Path) -> None:
    logins = "  127.0.0.1:5000=ci:s3cret:with=signs \r\n\nghcr.io=bot:ghp_token\n"
    code, output, tmp = run_step(tmp_path, logins)
    assert code == 0, output
    config = tmp / "security-scan-docker-7-scan"
    assert config.is_dir() and (config.stat().st_mode & 0o777) == 0o700
    calls = (tmp / "calls").read_text().splitlines()
    assert calls == [
        f"--config {config} login -u ci --password-stdin 127.0.0.1:5000",
        f"--config {config} login -u bot --password-stdin ghcr.io",
    ]
    assert (tmp / "stdin").read_text().splitlines() == ["s3cret:with=signs", "ghp_token"]
    assert "::add-mask::s3cret:with=signs" in output and "::add-mask::ghp_token" in output
    assert "Login Succeeded" not in output  # docker's words are not shown
    assert (tmp / "github_env").read_text() == f"DOCKER_CONFIG={config}\n"
    assert (tmp / "github_output").read_text() == f"config={config}\n"


def test_no_logins_change_nothing(tmp_path: Path) -> None:
    code, output, tmp = run_step(tmp_path, "")
    assert code == 0, output
    assert (tmp / "calls").read_text() == ""
    assert (tmp / "github_env").read_text() == ""


@pytest.mark.parametrize(
    "line", ["ghcr.io:bot:pw", "ghcr.io=bot", "ghcr.io=:pw", "=bot:pw", "ghcr.io=bot:"]
)
def test_a_malformed_line_stops_the_job_without_showing_it(tmp_path: Path, line: str) -> None:
    code, output, tmp = run_step(tmp_path, f"127.0.0.1:5000=ci:ok\n{line}\n")
    assert code == 2, output
    assert "::error title=REGISTRY_LOGINS::a line is not 'registry=username:password'" in output
    assert line not in output
    assert (tmp / "github_env").read_text() == ""  # trivy is not pointed at a half-done config


def test_a_refused_login_fails_without_the_servers_words(tmp_path: Path) -> None:
    code, output, tmp = run_step(tmp_path, "127.0.0.1:5000=ci:wrong\n", refuse=True)
    assert code == 1, output
    assert "::error title=REGISTRY_LOGINS::docker login failed" in output
    assert "::warning::" not in output and "unauthorized" not in output
    assert (tmp / "github_env").read_text() == ""
