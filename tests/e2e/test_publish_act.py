"""publish.yml, shipyard's own release, under act against the GitHub emulator: a tag push runs
the CHANGELOG check, the project's CI (ci.yml as a called workflow) and the release job, whose
scripts/release.py creates the GitHub Release and moves vX and vX.Y through the git refs API.

The caller repository is this repository's release files (the two workflows, scripts/release*.py)
with a CHANGELOG per test, played as ``your-org/actions``; the emulator knows its commit and its
tag (``on_commit``), as GitHub would after the push. The whole suite would take half an hour, so
the test sets the repository variable ``RELEASE_TEST_COMMAND``: ci.yml's ``test-command`` then
runs that one command instead of its lint and test jobs (on GitHub the variable is unset)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.act import ActHarness, ActRun
from tests.services.github_emulator import GitHubEmulator

ROOT = Path(__file__).resolve().parents[2]
REPO = "your-org/actions"
TOKEN = "ghs_publish_job"  # the job's GITHUB_TOKEN: an installation token, contents: write
QUICK_TESTS = "echo quick-tests-ran-in-$(basename $PWD)"
CHANGELOG = """\
# Changelog

## Unreleased

## 1.3.0-rc.1 - 2026-12-01

### Added
- notify: threads for every message (release candidate).

## 1.2.5 - 2026-12-06

### Fixed
- deploy: a rollback after a cancelled batch (backported to 1.2).

## 1.2.0 - 2026-11-20

### Added
- lint: `review`, one pull request review per run.

### Fixed
- audit: the database's age in the summary.

## 1.1.0 - 2026-10-01

### Added
- audit: `resolve`.
"""


def release_files(changelog: str) -> dict[str, str]:
    """The files of this repository a release needs, with ``changelog`` as CHANGELOG.md."""
    names = (".github/workflows/ci.yml", "scripts/__init__.py", "scripts/release.py",
             "scripts/release_rules.py")  # fmt: skip
    files = {name: (ROOT / name).read_text(encoding="utf-8") for name in names}
    files["CHANGELOG.md"] = changelog
    return files


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """your-org/actions released up to v1.1.0 (v1 and v1.1 on it), and the job's token."""
    emu = github_emulator
    emu.add_repo(REPO)
    emu.add_installation_token(TOKEN, REPO, {"contents": "write"})
    old = emu.add_commit(REPO, "release 1.1.0")
    for tag in ("v1.1.0", "v1.1", "v1"):
        emu.add_tag(REPO, tag, old)
    return emu


def publish(
    act: ActHarness, gh: GitHubEmulator, tag: str, changelog: str = CHANGELOG, **kw: Any
) -> ActRun:
    """Push ``tag`` (a new commit on main that holds ``changelog``) and run publish.yml."""

    def pushed(sha: str) -> None:  # what GitHub knows once the tag is pushed
        gh.add_commit(REPO, f"release {tag}", sha=sha)
        gh.add_tag(REPO, tag, sha)

    return act(
        ROOT / ".github" / "workflows" / "publish.yml",
        repository=REPO,
        ref=f"refs/tags/{tag}",
        files=release_files(changelog),
        vars={"RELEASE_TEST_COMMAND": kw.pop("test_command", QUICK_TESTS)},
        secrets={"GITHUB_TOKEN": TOKEN},
        env={"GITHUB_API_URL": gh.api_v3_url},
        on_commit=pushed,
        **kw,
    )


def tags(gh: GitHubEmulator) -> dict[str, str]:
    """The repository's tags: name -> commit."""
    return {k.removeprefix("refs/tags/"): v for k, v in gh.git_refs(REPO, "tags/").items()}


def results(run: ActRun) -> dict[str, str]:
    """Each job's result; ci.yml's jobs as act names them, after the caller job's name."""
    return {key: job.result for key, job in run.jobs.items()}


def writes(gh: GitHubEmulator, since: int = 0) -> list[str]:
    """The requests that changed something (``POST /repos/.../git/refs`` and the like), from
    the ``since``-th request on."""
    return [f"{r.method} {r.api_path}" for r in gh.requests[since:] if r.method != "GET"]


def release_request(gh: GitHubEmulator) -> Mapping[str, Any]:
    [post] = [r for r in gh.requests if r.method == "POST" and r.api_path.endswith("/releases")]
    body: Mapping[str, Any] = json.loads(post.body)
    return body


def test_a_release_tag_publishes_its_changelog_section_and_moves_v1_and_v1_2(
    act: ActHarness, gh: GitHubEmulator
) -> None:
    """v1.2.0: the check, the quick tests (in place of ci.yml's jobs), the release named v1.2.0
    with the 1.2.0 section as its text, v1 moved from v1.1.0's commit and v1.2 created."""
    before = tags(gh)
    run = publish(act, gh, "v1.2.0")
    assert results(run) == {
        "changelog": "success",
        "tests": "success",  # ci.yml, called: its jobs below
        "Tests/lint": "skipped",
        "Tests/test (3.10)": "skipped",
        "Tests/test (3.13)": "skipped",
        "Tests/command": "success",
        "release": "success",
    }, run.describe()
    assert "quick-tests-ran-in-" in run.text, run.describe()
    [release] = gh.releases(REPO)
    assert (release["tag_name"], release["name"], release["prerelease"]) == ("v1.2.0",) * 2 + (
        False,
    )
    assert release["body"].startswith(
        "### Added\n- lint: `review`, one pull request review per run.\n\n### Fixed\n"
    )
    assert "1.1.0" not in release["body"]  # the section ends where the next begins
    assert f"@{run.sha} # v1.2.0" in release["body"]  # how to pin it by commit
    assert "`@v1` and `@v1.2` now point here." in release["body"]
    assert release_request(gh)["make_latest"] == "true"
    assert tags(gh) == {**before, "v1.2.0": run.sha, "v1": run.sha, "v1.2": run.sha}
    assert f"PATCH /repos/{REPO}/git/refs/tags/v1" in writes(gh)  # v1 moved with force
    assert f"POST /repos/{REPO}/git/refs" in writes(gh)  # v1.2 created


def test_a_tag_without_its_changelog_section_fails_and_creates_nothing(
    act: ActHarness, gh: GitHubEmulator
) -> None:
    """v1.4.0 with no 1.4.0 section: the first job fails naming what to write; the tests and
    the release never run; no release, no tag moved, no write request at all."""
    before = tags(gh)
    run = publish(act, gh, "v1.4.0")
    assert results(run)["changelog"] == "failure", run.describe()
    assert results(run).get("release", "skipped") == "skipped"
    assert results(run).get("tests", "skipped") == "skipped"
    [error] = [a for a in run.annotations if a.level == "error"]
    assert error.title == "No release"
    assert "CHANGELOG.md has no section for 1.4.0" in error.message
    assert "'## 1.4.0 - YYYY-MM-DD'" in error.message
    assert gh.releases(REPO) == []
    assert tags(gh) == {**before, "v1.4.0": run.sha}  # only the pushed tag
    assert writes(gh) == []


def test_failing_tests_stop_the_release(act: ActHarness, gh: GitHubEmulator) -> None:
    """The tests are a needed job: when they fail, nothing is released."""
    before = tags(gh)
    run = publish(act, gh, "v1.2.0", test_command="echo 'a test failed' >&2; exit 1")
    assert results(run)["Tests/command"] == "failure", run.describe()
    assert results(run)["tests"] == "failure"
    assert results(run).get("release", "skipped") == "skipped"  # act does not even log it
    assert gh.releases(REPO) == []
    assert tags(gh) == {**before, "v1.2.0": run.sha}


def test_a_fix_to_an_older_minor_moves_its_minor_tag_and_not_v1_backwards(
    act: ActHarness, gh: GitHubEmulator
) -> None:
    """v1.3.0 is out (v1 and v1.3 on it); v1.2.5 fixes the 1.2 line: v1.2 moves to it, v1
    stays on v1.3.0, and the release is not marked the latest."""
    c120 = gh.add_commit(REPO, "release 1.2.0")
    c130 = gh.add_commit(REPO, "release 1.3.0")
    for tag, sha in (("v1.2.0", c120), ("v1.2", c120), ("v1.3.0", c130), ("v1.3", c130)):
        gh.add_tag(REPO, tag, sha)
    gh.add_tag(REPO, "v1", c130)
    run = publish(act, gh, "v1.2.5")
    assert results(run)["release"] == "success", run.describe()
    assert tags(gh)["v1.2"] == run.sha
    assert tags(gh)["v1"] == c130
    assert tags(gh)["v1.3"] == c130
    [release] = gh.releases(REPO)
    assert release["tag_name"] == "v1.2.5"
    assert "`@v1` does not move: v1.3.0 is higher." in release["body"]
    assert release_request(gh)["make_latest"] == "false"
    assert "v1 stays: v1.3.0 is higher" in run.job("release").text


def test_a_pre_release_moves_no_tag(act: ActHarness, gh: GitHubEmulator) -> None:
    """v1.3.0-rc.1: a GitHub pre-release from its section; v1 stays, v1.3 is not created."""
    before = tags(gh)
    run = publish(act, gh, "v1.3.0-rc.1")
    assert results(run)["release"] == "success", run.describe()
    [release] = gh.releases(REPO)
    assert (release["tag_name"], release["prerelease"]) == ("v1.3.0-rc.1", True)
    assert release["body"].startswith("### Added\n- notify: threads for every message")
    assert tags(gh) == {**before, "v1.3.0-rc.1": run.sha}
    assert [w for w in writes(gh) if "/git/refs" in w] == []


def test_a_re_run_changes_nothing_and_finishes_what_a_failure_left(
    act: ActHarness, gh: GitHubEmulator
) -> None:
    """v1.2.0's first run: the release is made and v1 moved, then GitHub fails to create v1.2
    (502, with a workflow command in its answer that must not run): exit 3, the job fails. The
    re-run updates the same release, leaves v1 alone and creates v1.2; a third run writes no
    ref at all. One release in the end, the tags as a clean run leaves them."""
    before = tags(gh)
    body = "::error title=Injected::from the server"
    gh.fail_next(1, 502, path=f"/repos/{REPO}/git/refs", method="POST", body=body)
    first = publish(act, gh, "v1.2.0")
    assert results(first)["release"] == "failure", first.describe()
    assert "Injected" not in [a.title for a in first.annotations]
    [error] = [a for a in first.annotations if a.level == "error"]
    assert error.title == "Release failed"
    assert "POST /git/refs: HTTP 502" in error.message
    assert tags(gh) == {**before, "v1.2.0": first.sha, "v1": first.sha}  # v1.2 not yet
    assert len(gh.releases(REPO)) == 1

    mark = len(gh.requests)
    again = publish(act, gh, "v1.2.0")
    assert again.sha == first.sha  # the same tagged commit, run again
    assert results(again)["release"] == "success", again.describe()
    assert tags(gh) == {**before, "v1.2.0": first.sha, "v1": first.sha, "v1.2": first.sha}
    [release] = gh.releases(REPO)
    assert release["tag_name"] == "v1.2.0"
    assert "`@v1` and `@v1.2` now point here." in release["body"]
    ref_writes = [w for w in writes(gh, mark) if "/git/refs" in w]
    assert ref_writes == [f"POST /repos/{REPO}/git/refs"]  # v1.2 only
    assert "v1 already points at" in again.job("release").text

    mark = len(gh.requests)
    third = publish(act, gh, "v1.2.0")
    assert results(third)["release"] == "success", third.describe()
    assert [w for w in writes(gh, mark) if "/git/refs" in w] == []
    assert len(gh.releases(REPO)) == 1
    assert tags(gh) == {**before, "v1.2.0": first.sha, "v1": first.sha, "v1.2": first.sha}


@pytest.mark.parametrize("tag", ["v01.2.0", "v1.2.0-"])
def test_a_tag_that_is_not_a_version_is_refused(
    act: ActHarness, gh: GitHubEmulator, tag: str
) -> None:
    """A tag that publish.yml's filter lets through but semantic versioning does not (a leading
    zero, an empty pre-release): the check fails naming the form; nothing is created."""
    before = tags(gh)
    run = publish(act, gh, tag)
    assert results(run)["changelog"] == "failure", run.describe()
    assert results(run).get("release", "skipped") == "skipped"
    [error] = [a for a in run.annotations if a.level == "error"]
    assert error.title == "No release"
    assert f"{tag!r} is not a release tag: vMAJOR.MINOR.PATCH" in error.message
    assert gh.releases(REPO) == []
    assert tags(gh) == {**before, tag: run.sha}
    assert writes(gh) == []
