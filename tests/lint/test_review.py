"""review: one pull request review with a comment per finding on a changed line, through the
action's entry point against the GitHub emulator (which refuses lines off the diff), on a
real git pull request linted by real flake8, black and mypy."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shipyard.lint.review import MARKER_PATTERN, REVIEW_MARKER
from tests.lint._pull import (
    APP_BASE,
    FORMAT_HEAD,
    REPOSITORY,
    TOKEN,
    github_patches,
    make_pull,
    pr_env,
)
from tests.lint._sample import VENV_BIN, git, lint, linters_run
from tests.lint.test_changed_lines import annotated_lines
from tests.services.github_emulator import GitHubEmulator

SUGGESTION = re.compile(r"^(`{3,})suggestion\n(.*?)^\1$", re.MULTILINE | re.DOTALL)


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    emu = github_emulator
    emu.add_user("lint-bot", token=TOKEN)
    emu.add_user("other-bot", token="ghp_other_bot")
    emu.add_repo(REPOSITORY, collaborators={"lint-bot": "write", "other-bot": "write"})
    return emu


def _run(tmp_path: Path, gh: GitHubEmulator, review: str, token: str = TOKEN, **extra: str) -> Any:
    repo, event = tmp_path / "repo", tmp_path / "event.json"
    inputs = {
        "linters": "flake8, black, mypy",
        "changed-lines-only": "true",
        "review": review,
        "github-token": token,
        **extra,
    }
    return lint(tmp_path, repo, inputs, env=pr_env(event, GITHUB_API_URL=gh.url))


def _pull(tmp_path: Path, gh: GitHubEmulator) -> tuple[Path, str]:
    repo, _event, base, head = make_pull(tmp_path)
    gh.set_pull_files(REPOSITORY, 7, github_patches(repo, base, head))
    return repo, head


def _apply(text: str, comments: list[dict[str, Any]]) -> str:
    """The file with every suggestion applied, bottom first (as a reviewer would)."""
    lines = text.splitlines()
    for comment in sorted(comments, key=lambda c: -c["line"]):
        match = SUGGESTION.search(comment["body"])
        assert match is not None
        start = comment["start_line"] or comment["line"]
        lines[start - 1 : comment["line"]] = match[2].splitlines()
    return "\n".join(lines) + "\n"


def test_suggestions_review_then_a_rerun_adds_nothing(tmp_path: Path, gh: GitHubEmulator) -> None:
    repo, head = _pull(tmp_path, gh)
    result = _run(tmp_path, gh, "suggestions")
    assert result.code == 1  # the verdict is the findings', as without a review
    [made] = gh.reviews(REPOSITORY, 7)
    assert made["state"] == "COMMENTED" and made["user"]["login"] == "lint-bot"
    assert made["commit_id"] == head and made["body"].endswith(REVIEW_MARKER)
    comments = gh.review_comments(REPOSITORY, 7)
    where = sorted((c["path"], c["line"], c["start_line"] or 0) for c in comments)
    # one per new finding; black's spans the lines it would change (9-11: the missing blank
    # line and the operator); nothing on the existing findings (lines 1, 4 and 8)
    assert where == [
        ("app.py", 10, 0),  # flake8 E302
        ("app.py", 11, 0),  # flake8 F821
        ("app.py", 11, 0),  # mypy name-defined
        ("app.py", 11, 0),  # mypy no-any-return
        ("app.py", 11, 9),  # black: lines 9 to 11
        ("formatting.py", 17, 0),  # black
        ("formatting.py", 17, 0),  # flake8 E231
    ]
    assert all(MARKER_PATTERN.match(c["body"].splitlines()[-1]) for c in comments)
    assert "Review: 7 comments posted." in result.summary
    # the suggestions replace exactly the lines black would change: applied, black is happy
    # with app.py, and formatting.py keeps only its old finding (line 1, not the PR's)
    suggested = {
        path: _apply(
            (repo / path).read_text(),
            [c for c in comments if c["path"] == path and "suggestion" in c["body"]],
        )
        for path in ("app.py", "formatting.py")
    }
    fixed = tmp_path / "fixed.py"
    fixed.write_text(suggested["app.py"])
    black = [str(VENV_BIN / "black"), "--check", "-q", "--line-length", "100", str(fixed)]
    assert subprocess.run(black, check=False).returncode == 0, suggested["app.py"]
    assert suggested["formatting.py"] == FORMAT_HEAD.replace("y = [1,2]", "y = [1, 2]")

    again = _run(tmp_path, gh, "suggestions")
    assert again.code == 1
    assert len(gh.reviews(REPOSITORY, 7)) == 1 and len(gh.review_comments(REPOSITORY, 7)) == 7
    assert "7 findings already commented by an earlier run" in again.summary
    # another token's run does not take lint-bot's comments for its own
    _run(tmp_path, gh, "comments", token="ghp_other_bot")
    assert len(gh.review_comments(REPOSITORY, 7)) == 14


def test_comments_without_suggestions_and_findings_off_the_changed_lines(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    _pull(tmp_path, gh)
    # without changed-lines-only every finding is reported; only those on changed lines
    # can be commented on, the others are counted
    result = _run(tmp_path, gh, "comments", **{"changed-lines-only": "false"})
    comments = gh.review_comments(REPOSITORY, 7)
    assert len(comments) == 7 and not any("suggestion" in c["body"] for c in comments)
    assert "7 findings outside the lines the pull request changes" in result.summary


def test_without_write_permission_a_warning_and_the_annotations_as_before(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    _pull(tmp_path, gh)
    quiet = _run(tmp_path, gh, "none")
    # the job's GITHUB_TOKEN with pull-requests: read: the emulator refuses the review as
    # GitHub does (403 "Resource not accessible by integration")
    read_only = "ghs_read_only_job_token"
    gh.add_installation_token(read_only, REPOSITORY, {"contents": "read", "pull-requests": "read"})
    refused = _run(tmp_path, gh, "comments", token=read_only)
    assert refused.code == quiet.code == 1
    warnings = refused.annotations("warning")
    assert any("no review comments" in w and "pull-requests: write" in w for w in warnings)
    assert annotated_lines(refused) == annotated_lines(quiet)
    assert gh.review_comments(REPOSITORY, 7) == []
    assert "Review: Review comments were not posted: GitHub answered HTTP 403" in refused.summary
    # on a push there is no pull request: no review, no call
    calls = gh.request_count
    push = lint(
        tmp_path,
        tmp_path / "repo",
        {"linters": "flake8", "review": "comments", "github-token": TOKEN},
        env={"GITHUB_API_URL": gh.url},
    )
    assert push.code == 1 and "Review" not in push.summary
    assert gh.request_count == calls


def test_on_githubs_merge_commit_comments_go_on_the_heads_lines(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    # main adds two lines at the top of app.py after the branch point: in the merge commit
    # (what actions/checkout checks out on pull_request) the PR's lines are 11-13, in the
    # head (where review comments go) 9-11
    top = '"""The app."""\n\n' + APP_BASE
    repo, _event, base, head = make_pull(tmp_path, app_main=top)
    gh.set_pull_files(REPOSITORY, 7, github_patches(repo, base, head))
    git(repo, "checkout", "-q", "--detach", base)
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge feature into main", head)
    assert (repo / "app.py").read_text().splitlines()[12] == "    return value+undefined"
    result = _run(tmp_path, gh, "suggestions")
    assert result.code == 1
    runs = linters_run(result)
    assert runs["flake8"]["findings"] == 3 and runs["mypy"]["findings"] == 2
    where = sorted(
        (c["line"], c["start_line"] or 0)
        for c in gh.review_comments(REPOSITORY, 7)
        if c["path"] == "app.py"
    )
    assert where == [(10, 0), (11, 0), (11, 0), (11, 0), (11, 9)]
