"""Issue 17 (annotation budget) through lint's real entry point and a real ruff: more than ten
error findings left eleven ``::error`` lines on 3824f64 (ten findings and the verdict), so
GitHub dropped one. Now the findings leave the tenth place to the verdict and the summary
counts the rest."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.lint._sample import GIT_ENV, lint
from tests.runner_commands import issued


def make_repo(tmp_path: Path, errors: int) -> Path:
    """A repository whose one module has ``errors`` undefined names (ruff F821, errors)."""
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n'
    )
    (repo / "app" / "undefined.py").write_text(
        "".join(f"value_{i} = undefined_{i}\n" for i in range(errors))
    )
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
        subprocess.run(
            ["git", *args], cwd=repo, check=True, env={**GIT_ENV, "PATH": "/usr/bin:/bin"}
        )
    return repo


def test_fifteen_errors_show_nine_findings_and_the_verdict(tmp_path: Path) -> None:
    result = lint(tmp_path, make_repo(tmp_path, 15), {"linters": "ruff"})
    assert result.code == 1, result.log[-3000:]
    assert result.outputs["errors"] == "15"
    errors = result.annotations("error")
    assert len(errors) == 10, errors
    assert errors[-1].startswith("::error title=lint%3A findings::")
    assert len([e for e in errors if "file=app/undefined.py" in e]) == 9
    assert issued(result.log).count("error") == 10  # as the runner counts them
    assert "6 errors not shown as annotations" in result.summary


def test_nine_errors_are_all_shown_with_the_verdict(tmp_path: Path) -> None:
    result = lint(tmp_path, make_repo(tmp_path, 9), {"linters": "ruff"})
    assert result.code == 1
    assert len(result.annotations("error")) == 10
    assert "not shown as annotations" not in result.summary
