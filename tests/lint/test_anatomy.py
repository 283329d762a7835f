"""Architecture 3 in lint (real linters on the sample repository): the file-system inputs and
the args input are checked before anything runs, and the fix plan skips a fixer with nothing
to fix (it crashed the step before)."""

from __future__ import annotations

from pathlib import Path

from tests.lint._sample import lint, linters_run, make_repo


def test_a_fixer_with_no_file_to_fix_is_skipped(tmp_path: Path) -> None:
    """On f23a348 the fix step looked up the executable of every fixer with a target, also
    one left without files (here: only a shell script selected), and died with KeyError."""
    repo = make_repo(tmp_path)
    inputs = {"linters": "ruff, black, shellcheck", "fix": "true", "paths": "scripts/deploy.sh"}
    result = lint(tmp_path, repo, {**inputs, "fail-on": "never"})
    assert result.code == 0, result.log[-3000:]
    assert result.outputs["diff"] == "" and Path(result.outputs["diff-file"]).read_text() == ""
    assert set(linters_run(result)) == {"shellcheck"}


def test_a_bad_args_input_stops_the_step_before_the_fixers(tmp_path: Path) -> None:
    """On f23a348 the args input was split only when the linters were about to run: with
    fix, the fixers had already rewritten the files, then the step exited 2."""
    repo = make_repo(tmp_path)
    before = (repo / "app" / "formatting.py").read_text()
    inputs = {"linters": "ruff, isort", "fix": "true", "args": "ruff=--select 'E"}
    result = lint(tmp_path, repo, inputs)
    assert result.code == 2, result.log[-3000:]
    [error] = result.annotations("error")
    assert "args" in error and "ruff" in error
    assert (repo / "app" / "formatting.py").read_text() == before
    assert "fix: " not in result.log


def test_the_python_input_is_resolved_before_the_run(tmp_path: Path) -> None:
    """Every file-system input is resolved in one step before the run: a python that is not
    there is exit 2 although no linter that needs it runs (before: it was looked for only
    when mypy or pylint ran)."""
    repo = make_repo(tmp_path)
    result = lint(tmp_path, repo, {"linters": "ruff", "python": str(tmp_path / "no-python")})
    assert result.code == 2, result.log[-3000:]
    [error] = result.annotations("error")
    assert "python" in error and "no-python" in error
    assert "linters-run" not in result.outputs  # nothing ran
