"""A cached run reports exactly what an uncached one does: the same SARIF document and the
same review, black's suggestions included (its findings' replacements come from the cache)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.lint._pull import REPOSITORY, TOKEN, github_patches, make_pull, pr_env
from tests.lint._sample import lint, linters_run
from tests.services.github_emulator import GitHubEmulator


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    github_emulator.add_user("lint-bot", token=TOKEN)
    github_emulator.add_repo(REPOSITORY, collaborators={"lint-bot": "write"})
    return github_emulator


def _event(tmp_path: Path, event: Path, number: int) -> Path:
    """The pull request's event under another number (a second pull request, same commits)."""
    data = json.loads(event.read_text())
    data["number"] = data["pull_request"]["number"] = number
    path = tmp_path / f"event-{number}.json"
    path.write_text(json.dumps(data))
    return path


def _sarif(result: Any) -> dict[str, Any]:
    return dict(json.loads(Path(result.outputs["sarif-file"]).read_text()))


def _comments(gh: GitHubEmulator, number: int) -> list[tuple[str, int, int, str]]:
    return sorted(
        (c["path"], c["line"], c["start_line"] or 0, c["body"])
        for c in gh.review_comments(REPOSITORY, number)
    )


def test_a_cached_run_gives_the_same_sarif_and_suggestions(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    repo, event, base, head = make_pull(tmp_path)
    for number in (7, 8):
        gh.set_pull_files(REPOSITORY, number, github_patches(repo, base, head))
    inputs = {
        "linters": "flake8, black",
        "changed-lines-only": "true",
        "review": "suggestions",
        "github-token": TOKEN,
    }
    env = {"GITHUB_API_URL": gh.url, "RUNNER_TOOL_CACHE": str(tmp_path / "tc")}
    uncached = lint(tmp_path / "0", repo, {**inputs, "cache": "false"}, env=pr_env(event, **env))
    # the cache is filled by a run without a review, then a second pull request's run uses it
    lint(tmp_path / "1", repo, {**inputs, "review": "none"}, env=pr_env(event, **env))
    cached = lint(tmp_path / "2", repo, inputs, env=pr_env(_event(tmp_path, event, 8), **env))

    runs = linters_run(cached)
    assert runs["black"]["cached"] == runs["black"]["files"] == 2
    assert runs["flake8"]["cached"] == runs["flake8"]["files"] == 2
    assert linters_run(uncached)["black"]["cached"] == 0
    assert _sarif(cached) == _sarif(uncached)
    suggestions = [c for c in _comments(gh, 8) if "```suggestion" in c[3]]
    assert len(suggestions) == 2  # black's hunks in app.py and formatting.py
    assert _comments(gh, 8) == _comments(gh, 7)
