"""only-changed on pull requests: from git with the base commit, from the files API without."""

from __future__ import annotations

import json
from pathlib import Path

from tests.lint._sample import git, lint, linters_run, make_repo, sarif_findings
from tests.services.github_emulator import GitHubEmulator

TOKEN = "ghp_lint_token"
CHANGED = ("app/models.py", "scripts/deploy.sh")


def _pull_request(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """The sample on main, and a feature branch touching two files; returns the event file."""
    repo = make_repo(tmp_path)
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    with (repo / "app" / "models.py").open("a") as handle:
        handle.write("\n\nVALUE = 1\n")
    with (repo / "scripts" / "deploy.sh").open("a") as handle:
        handle.write("echo $target again\n")
    git(repo, "commit", "-qam", "touch two files")
    head = git(repo, "rev-parse", "HEAD")
    event = {
        "number": 7,
        "pull_request": {"number": 7, "base": {"sha": base, "ref": "main"}, "head": {"sha": head}},
        "repository": {"full_name": "your-org/app", "default_branch": "main"},
    }
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    return repo, event_path, base, head


def _pr_env(event_path: Path, **extra: str) -> dict[str, str]:
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event_path), **extra}


def _assert_only_changed(result) -> None:  # type: ignore[no-untyped-def]
    runs = linters_run(result)
    assert runs["flake8"]["files"] == 1 and runs["shellcheck"]["files"] == 1
    assert "hadolint" not in runs and "zizmor" not in runs and "yamllint" not in runs
    # whole-project linters analyse every file, and report only on the changed ones
    assert runs["mypy"]["files"] > 1 and runs["pylint"]["files"] > 1
    found = sarif_findings(result)
    assert {f[2] for f in found} <= set(CHANGED)
    assert ("pylint", "W0611", "app/models.py", 1) in found
    assert ("shellcheck", "SC2086", "scripts/deploy.sh", 5) in found
    assert not [f for f in found if f[0] == "mypy"]  # its finding is in app/typed.py


def test_pull_request_with_history_lints_only_the_changed_files(tmp_path: Path) -> None:
    repo, event, _base, _head = _pull_request(tmp_path)
    result = lint(tmp_path, repo, env=_pr_env(event))
    _assert_only_changed(result)
    assert "files changed by PR #7 (git)" in result.summary
    assert "Nothing to lint for: hadolint (Dockerfile Dockerfile)" in result.summary


def test_only_changed_false_lints_everything_on_a_pull_request(tmp_path: Path) -> None:
    repo, event, _base, _head = _pull_request(tmp_path)
    result = lint(tmp_path, repo, {"only-changed": "false"}, env=_pr_env(event))
    assert "hadolint" in linters_run(result)


def test_shallow_checkout_falls_back_to_the_paginated_files_api(
    tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    origin, event, _base, head = _pull_request(tmp_path)
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
    assert git(shallow, "rev-parse", "HEAD") == head
    github_emulator.add_user("bot", token=TOKEN)
    github_emulator.add_repo("your-org/app", collaborators={"bot": "read"})
    padding = [f"docs/page{i}.md" for i in range(150)]  # two pages of 100
    github_emulator.set_pull_files(
        "your-org/app", 7, [*padding, *CHANGED, {"filename": "old.py", "status": "removed"}]
    )
    result = lint(
        tmp_path,
        shallow,
        {"github-token": TOKEN},
        env=_pr_env(event, GITHUB_API_URL=github_emulator.url),
    )
    _assert_only_changed(result)
    assert "files changed by PR #7 (files API)" in result.summary
    calls = github_emulator.requests_to("/repos/your-org/app/pulls/7/files")
    assert len(calls) == 2 and calls[1].query.get("page") == "2"
    assert all(call.header("Authorization") == f"Bearer {TOKEN}" for call in calls)
    assert TOKEN not in result.visible


def _shallow(tmp_path: Path) -> tuple[Path, Path]:
    origin, event, _base, _head = _pull_request(tmp_path)
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
    return shallow, event


def test_a_job_token_without_pull_requests_read_is_exit_3(
    tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    """The README: the files API needs pull-requests: read (or contents: read); a refusal is
    an API failure (exit 3) that says so, never a lint of everything or of nothing."""
    shallow, event = _shallow(tmp_path)
    github_emulator.add_repo("your-org/app", private=True)
    github_emulator.add_installation_token(TOKEN, "your-org/app", {"issues": "write"})
    github_emulator.set_pull_files("your-org/app", 7, CHANGED)
    result = lint(
        tmp_path,
        shallow,
        {"github-token": TOKEN},
        env=_pr_env(event, GITHUB_API_URL=github_emulator.url),
    )

    assert result.code == 3, result.log
    [error] = [e for e in result.annotations("error") if "cannot list the changed files" in e]
    assert "The pull request files API answered HTTP 403." in error
    assert "pull-requests: read" in result.log + result.summary
    assert "linters-run" not in result.outputs  # nothing was linted
    calls = github_emulator.requests_to("/repos/your-org/app/pulls/7/files")
    assert [c.status for c in calls] == [403]  # refused by the server, not retried
    assert TOKEN not in result.visible


def test_contents_read_is_enough_for_the_files_api(
    tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    shallow, event = _shallow(tmp_path)
    github_emulator.add_repo("your-org/app", private=True)
    github_emulator.add_installation_token(TOKEN, "your-org/app", {"contents": "read"})
    github_emulator.set_pull_files("your-org/app", 7, CHANGED)
    result = lint(
        tmp_path,
        shallow,
        {"github-token": TOKEN},
        env=_pr_env(event, GITHUB_API_URL=github_emulator.url),
    )
    _assert_only_changed(result)
    assert "files changed by PR #7 (files API)" in result.summary
