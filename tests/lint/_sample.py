"""The sample repository (tests/data/lint-sample) as a git repo, and the action run on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.lint.__main__ import run
from shipyard.lint.spec import SPEC
from tests.action_run import ActionRun, run_in_process

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "lint-sample"
VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
PASS_THROUGH = ("SSL_CERT_FILE", "SSL_CERT_DIR", "UV_INDEX_URL", "UV_CACHE_DIR", "HTTPS_PROXY")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def make_repo(tmp_path: Path, name: str = "repo") -> Path:
    repo = tmp_path / name
    shutil.copytree(SAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "sample")
    return repo


def lint(
    tmp_path: Path,
    repo: Path,
    inputs: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> ActionRun:
    """Run the action in-process on ``repo`` with the linters of .venv (install: false)."""
    runner_env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "GITHUB_WORKSPACE": str(repo),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache"),
        "GITHUB_REPOSITORY": "your-org/app",
        "GITHUB_EVENT_NAME": "push",
        # the machine's CA bundle (installs go through the package index)
        **{k: os.environ[k] for k in PASS_THROUGH if k in os.environ},
        **(env or {}),
    }
    (tmp_path / "runner-temp").mkdir(parents=True, exist_ok=True)
    return run_in_process(
        SPEC, run, tmp_path / "action", {"install": "false", **(inputs or {})}, runner_env
    )


def sarif_findings(result: ActionRun) -> set[tuple[str, str, str, int]]:
    """(tool, rule, file, line) of every SARIF result."""
    document = json.loads(Path(result.outputs["sarif-file"]).read_text())
    found = set()
    for sarif_run in document["runs"]:
        tool = sarif_run["tool"]["driver"]["name"]
        for item in sarif_run["results"]:
            location = item["locations"][0]["physicalLocation"]
            found.add(
                (
                    tool,
                    item["ruleId"],
                    location["artifactLocation"]["uri"],
                    location["region"]["startLine"],
                )
            )
    return found


def linters_run(result: ActionRun) -> dict[str, dict[str, Any]]:
    return {entry["tool"]: entry for entry in json.loads(result.outputs["linters-run"])}
