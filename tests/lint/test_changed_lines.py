"""changed-lines-only on a real pull request (git history, real flake8, black and mypy): the
findings on the lines it adds fail the step, the others in its files are existing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.lint._pull import APP_CLEAN, TOKEN, github_patches, make_pull, pr_env
from tests.lint._sample import git, lint, linters_run
from tests.services.github_emulator import GitHubEmulator

LINTERS = {"linters": "flake8, black, mypy"}
PLACE = re.compile(r"file=([^,:]+),line=(\d+)")


def annotated_lines(result: Any) -> set[tuple[str, int]]:
    """(file, line) of every annotation of the run."""
    found = set()
    for level in ("error", "warning", "notice"):
        for line in result.annotations(level):
            match = PLACE.search(line)
            if match:
                found.add((match[1], int(match[2])))
    return found


def _results(result: Any) -> dict[tuple[str, str, int], dict[str, Any]]:
    """SARIF results by (tool, file, start line)."""
    document = json.loads(Path(result.outputs["sarif-file"]).read_text())
    found = {}
    for run in document["runs"]:
        for item in run["results"]:
            where = item["locations"][0]["physicalLocation"]
            key = (
                run["tool"]["driver"]["name"],
                where["artifactLocation"]["uri"],
                where["region"]["startLine"],
            )
            found[key] = item
    return found


def _assert_new_and_existing(result: Any) -> None:
    assert result.code == 1, result.visible
    results = _results(result)
    new = {key for key, item in results.items() if item.get("baselineState") == "new"}
    existing = {key for key, item in results.items() if item.get("baselineState") == "unchanged"}
    # flake8: E302 (one blank line too few), F821 and E231 on the added lines; mypy: the
    # undefined name; black: the inserted blank line and the operator (lines 9-11), the list
    assert new == {
        ("flake8", "app.py", 10),
        ("flake8", "app.py", 11),
        ("flake8", "formatting.py", 17),
        ("mypy", "app.py", 11),
        ("black", "app.py", 9),
        ("black", "formatting.py", 17),
    }
    # the unused import, the long line main fixed after the branch point, the untyped def and
    # black's old hunk at the top of formatting.py are the codebase's, not the PR's
    assert existing == {
        ("flake8", "app.py", 1),
        ("flake8", "app.py", 8),
        ("flake8", "formatting.py", 1),  # three on that line: one key here
        ("mypy", "app.py", 4),
        ("black", "formatting.py", 1),
    }
    assert all(item["level"] == "note" for key, item in results.items() if key in existing)
    assert results[("flake8", "app.py", 8)]["properties"]["originalLevel"] == "error"
    assert all(results[key]["level"] == "error" for key in new)
    # annotations: the new findings only
    annotated = annotated_lines(result)
    assert ("app.py", 11) in annotated and ("app.py", 1) not in annotated
    assert ("formatting.py", 1) not in annotated
    runs = linters_run(result)
    assert runs["flake8"]["findings"] == 3 and runs["flake8"]["existing"] == 5
    assert "existing findings elsewhere are listed below" in result.summary


def test_new_lines_fail_old_ones_are_existing_from_git(tmp_path: Path) -> None:
    repo, event, _base, _head = make_pull(tmp_path)
    result = lint(tmp_path, repo, {**LINTERS, "changed-lines-only": "true"}, env=pr_env(event))
    _assert_new_and_existing(result)
    assert "lines changed by PR #7 (git)" in result.summary


def test_a_pull_request_with_clean_new_lines_passes_over_old_findings(tmp_path: Path) -> None:
    repo, event, _base, _head = make_pull(tmp_path, app_head=APP_CLEAN, format_head=None)
    inputs = {**LINTERS, "changed-lines-only": "true"}
    passed = lint(tmp_path, repo, inputs, env=pr_env(event))
    assert passed.code == 0, passed.visible
    assert passed.outputs["findings"] == "0"
    assert linters_run(passed)["flake8"]["existing"] == 2
    # the same pull request without the input fails on the old findings
    failed = lint(tmp_path, repo, LINTERS, env=pr_env(event))
    assert failed.code == 1


def test_shallow_checkout_reads_the_lines_from_the_files_api_patches(
    tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    origin, event, base, head = make_pull(tmp_path)
    shallow = tmp_path / "shallow"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "feature",
        f"file://{origin}",
        str(shallow),
    )
    github_emulator.add_user("bot", token=TOKEN)
    github_emulator.add_repo("your-org/app", collaborators={"bot": "read"})
    github_emulator.set_pull_files("your-org/app", 7, github_patches(origin, base, head))
    result = lint(
        tmp_path,
        shallow,
        {**LINTERS, "changed-lines-only": "true", "github-token": TOKEN},
        env=pr_env(event, GITHUB_API_URL=github_emulator.url),
    )
    _assert_new_and_existing(result)
    assert "lines changed by PR #7 (files API patches)" in result.summary
    # one request serves the changed files and their lines
    assert len(github_emulator.requests_to("/repos/your-org/app/pulls/7/files")) == 1


def test_githubs_hunks_are_git_diffs_with_three_lines_of_context(tmp_path: Path) -> None:
    from shipyard.lint.lines import read_diff, with_context

    repo = tmp_path / "hunks"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "f.py").write_text("".join(f"line {n}\n" for n in range(1, 61)))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    text = (repo / "f.py").read_text().splitlines()
    text[1] = "changed 2"  # near the top
    text[8:8] = ["added as line 9"]  # 6 unchanged lines between: one hunk, as in git
    del text[30:32]  # a removal
    text[45] = "changed far below"
    (repo / "f.py").write_text("\n".join(text) + "\n")
    zero = read_diff(git(repo, "diff", "-U0", "--", "f.py"))["f.py"]
    three = read_diff(git(repo, "diff", "-U3", "--", "f.py"))["f.py"]
    assert zero.edits == three.edits
    assert with_context(zero).hunks == three.hunks and len(three.hunks) == 3
