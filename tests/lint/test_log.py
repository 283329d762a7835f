"""A log a person can read: per linter one line, its findings grouped under it, raw output only
when a linter did not run properly; informational linters warn at most."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.lint._pull import make_pull, pr_env
from tests.lint._sample import lint, make_repo

HEADLINE = re.compile(r"^(::group::)?(?P<linter>[\w-]+) [\d.]+(?: \(informational\))?: \d+ files")


def test_one_line_per_linter_and_its_findings_in_a_group(tmp_path: Path) -> None:
    result = lint(tmp_path, make_repo(tmp_path), {"linters": "ruff, flake8, shellcheck"})
    lines = result.log.splitlines()
    heads = [line for line in lines if HEADLINE.match(line)]
    assert [HEADLINE.match(h).group("linter") for h in heads] == ["ruff", "flake8", "shellcheck"]  # type: ignore[union-attr]
    ruff = next(h for h in heads if "ruff" in h)
    headline = r"::group::ruff [\d.]+: 5 files, 4 findings, \d+\.\d s( on \d cores)?"
    assert re.fullmatch(headline, ruff), ruff
    group = lines[lines.index(ruff) + 1 : lines.index("::endgroup::", lines.index(ruff))]
    assert "app/models.py:1:8: F401 `os` imported but unused" in group
    assert "scripts/deploy.sh:3:1: SC2164" in result.log
    # no raw tool output: ruff's JSON is not in the log
    assert '"code": "F401"' not in result.log and '"filename"' not in result.log
    assert not [line for line in lines if line.startswith("== ")]


def test_a_linter_that_crashes_shows_its_raw_output_in_its_own_group(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / ".flake8").write_text("[flake8]\nmax-line-length = lots\n")
    result = lint(tmp_path, repo, {"linters": "flake8, ruff"})
    lines = result.log.splitlines()
    assert re.search(r"^flake8 [\d.]+: 7 files, crashed \(exit code 1\), \d", result.log, re.M)
    start = lines.index("::group::flake8: its output")
    output = lines[start : lines.index("::endgroup::", start)]
    assert any("lots" in line for line in output)
    assert output[1].startswith("::stop-commands::")  # the tool's text cannot issue commands
    assert "::group::ruff: its output" not in lines


def test_informational_findings_are_warnings_everywhere(tmp_path: Path) -> None:
    result = lint(tmp_path, make_repo(tmp_path), {"linters": "flake8", "informational": "flake8"})
    assert result.code == 0
    assert not result.annotations("error")
    assert result.outputs["errors"] == "0" and int(result.outputs["warnings"]) > 0
    sarif = json.loads(Path(result.outputs["sarif-file"]).read_text())
    assert {r["level"] for run in sarif["runs"] for r in run["results"]} == {"warning"}
    assert re.search(r"^::group::flake8 [\d.]+ \(informational\): ", result.log, re.M)


def test_with_changed_lines_only_a_linters_line_counts_the_existing_findings(
    tmp_path: Path,
) -> None:
    repo, event, _base, _head = make_pull(tmp_path)
    inputs = {"linters": "flake8", "changed-lines-only": "true"}
    result = lint(tmp_path, repo, inputs, env=pr_env(event))
    # app.py's E302 and F821 are on the pull request's lines, formatting.py's E231 too; the
    # old F401, E501 and formatting.py's E201/E202/E231 on line 1 are not
    line = re.search(r"^::group::flake8 [\d.]+: 2 files, (.*), \d+\.\d s", result.log, re.M)
    assert line is not None and line[1] == "3 findings (5 existing, not judged)", result.log
