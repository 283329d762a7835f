"""Acceptance: lint with its defaults on this repository runs what our CI runs (ruff, ruff
format, mypy; hadolint, shellcheck and zizmor on their files) and agrees with it."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.lint._sample import ROOT, git, lint, linters_run, sarif_findings


@pytest.fixture(scope="module")
def archive() -> bytes:
    """This repository as committed (``git archive HEAD``): what CI checks out."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, check=True, capture_output=True
    ).stdout


def checkout(archive: bytes, where: Path) -> Path:
    where.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    git(where, "init", "-q", "-b", "main")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "copy")
    return where


def test_with_its_defaults_lint_runs_what_ci_runs_and_agrees(
    archive: bytes, tmp_path: Path
) -> None:
    env = {"RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache")}
    clean = lint(tmp_path / "clean", checkout(archive, tmp_path / "repo"), env=env)
    runs = linters_run(clean)
    assert set(runs) == {"ruff", "ruff-format", "mypy", "hadolint", "shellcheck", "zizmor"}
    assert all(entry["status"] == "ok" for entry in runs.values()), runs
    assert clean.code == 0, clean.log[-3000:]
    assert int(clean.outputs["errors"]) == 0
    for skipped in ("flake8", "black", "isort", "pylint"):
        assert f"Not run: {skipped}: only a dependency" in clean.summary

    broken = checkout(archive, tmp_path / "broken")
    target = broken / "src" / "shipyard" / "__init__.py"
    lines = len(target.read_text().splitlines())
    with target.open("a") as handle:  # formatted, typed, one ruff error (F841)
        handle.write("\n\ndef _seeded() -> None:\n    unused = 1\n")
    failing = lint(tmp_path / "failing", broken, env=env)
    assert failing.code == 1
    assert ("ruff", "F841", "src/shipyard/__init__.py", lines + 4) in sarif_findings(failing)
    assert failing.outputs["errors"] == "1"
