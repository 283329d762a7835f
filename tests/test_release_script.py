"""scripts/release.py without act: its exit codes and messages (2 for a broken rule, with
nothing created; 3 when GitHub fails, with its answer inert), and ``publish`` against the GitHub
emulator. The workflow around it is tested under act in tests/e2e/test_publish_act.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripts import release

from tests.services.github_emulator import GitHubEmulator

REPO = "your-org/actions"
TOKEN = "ghs_release_job"
CHANGELOG = """\
# Changelog

## Unreleased

## 1.0.0 - 2026-12-07

### Added
- notify, approval, build-push, deploy, lint and audit.
"""


@pytest.fixture
def changelog(tmp_path: Path) -> Path:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(CHANGELOG, encoding="utf-8")
    return path


def env_for(gh: GitHubEmulator, sha: str, token: str = TOKEN) -> dict[str, str]:
    return {"GITHUB_API_URL": gh.api_v3_url, "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": sha,
            "GH_TOKEN": token, "GITHUB_REF_NAME": "v1.0.0"}  # fmt: skip


def test_check_names_the_release_and_refuses_what_is_not_one(
    changelog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release.main(["check", "v1.0.0", "--changelog", str(changelog)], env={}) == 0
    assert "::notice title=Release v1.0.0::a release, CHANGELOG section '## 1.0.0" in (
        capsys.readouterr().out
    )
    assert release.main(["check", "v1.0", "--changelog", str(changelog)], env={}) == 2
    assert "::error title=No release::'v1.0' is not a release tag" in capsys.readouterr().out
    assert release.main(["check", "--changelog", str(changelog)], env={}) == 2  # no tag at all
    capsys.readouterr()
    assert release.main(["check", "v1.0.0", "--changelog", str(changelog.parent / "x")]) == 2
    assert "cannot read x: No such file or directory" in capsys.readouterr().out


def test_publish_needs_its_environment(changelog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = release.main(["publish", "v1.0.0", "--changelog", str(changelog)], env={})
    assert code == 2
    assert "publish needs GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_API_URL, GH_TOKEN" in (
        capsys.readouterr().out
    )


def test_publish_the_first_release_creates_v1_and_v1_0(
    github_emulator: GitHubEmulator, changelog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = github_emulator
    gh.add_repo(REPO)
    gh.add_installation_token(TOKEN, REPO, {"contents": "write"})
    sha = gh.add_tag(REPO, "v1.0.0", gh.add_commit(REPO, "release 1.0.0"))
    assert release.main(["publish", "--changelog", str(changelog)], env=env_for(gh, sha)) == 0
    [made] = gh.releases(REPO)
    assert (made["tag_name"], made["prerelease"]) == ("v1.0.0", False)
    assert made["body"].startswith("### Added\n- notify, approval")
    assert gh.git_refs(REPO, "tags/") == {f"refs/tags/{t}": sha for t in ("v1", "v1.0", "v1.0.0")}
    out = capsys.readouterr().out
    assert f"v1 created at {sha[:12]}" in out
    assert f"v1.0 created at {sha[:12]}" in out


def test_a_token_without_contents_write_is_exit_3_with_the_hint_and_github_inert(
    github_emulator: GitHubEmulator, changelog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = github_emulator
    gh.add_repo(REPO)
    gh.add_installation_token("ghs_read", REPO, {"contents": "read"})
    sha = gh.add_tag(REPO, "v1.0.0", gh.add_commit(REPO, "release 1.0.0"))
    code = release.main(
        ["publish", "--changelog", str(changelog)], env=env_for(gh, sha, "ghs_read")
    )
    assert code == 3
    out = capsys.readouterr().out
    assert "::error title=Release failed::POST /releases: HTTP 403 (403: the token needs " in out
    assert "RELEASE_TOKEN" in out
    # GitHub's answer is printed between stop-commands markers: it cannot issue commands
    stop = out.index("::stop-commands::")
    token = out[stop:].split("\n", 1)[0].removeprefix("::stop-commands::")
    assert out.index(f"::{token}::") > out.index("Resource not accessible by integration") > stop
    assert gh.releases(REPO) == []
    assert gh.git_refs(REPO, "tags/") == {"refs/tags/v1.0.0": sha}


@pytest.fixture
def history(github_emulator: GitHubEmulator) -> dict[str, str]:
    """main: one -> two; feature: one -> off (never merged); release/1.0: one -> fix."""
    gh = github_emulator
    gh.add_repo(REPO)
    gh.add_installation_token(TOKEN, REPO, {"contents": "write"})
    one = gh.add_commit(REPO, "one")
    off = gh.add_commit(REPO, "off main", parents=[one], branch="feature")
    fix = gh.add_commit(REPO, "a fix of 1.0", parents=[one], branch="release/1.0")
    two = gh.add_commit(REPO, "two")
    return {"one": one, "two": two, "off": off, "fix": fix}


@pytest.mark.parametrize(
    ("commit", "branch"), [("two", "main"), ("one", "main"), ("fix", "release/1.0")]
)
def test_check_finds_the_tagged_commit_on_main_or_its_release_branch(
    github_emulator: GitHubEmulator,
    history: dict[str, str],
    changelog: Path,
    capsys: pytest.CaptureFixture[str],
    commit: str,
    branch: str,
) -> None:
    """The tip of main, an older commit of main (a re-run after main moved on), a fix on
    release/1.0: each is a release commit, and check says where it is."""
    env = env_for(github_emulator, history[commit])
    assert release.main(["check", "--changelog", str(changelog)], env=env) == 0
    assert f"CHANGELOG section '## 1.0.0 - 2026-12-07', on {branch}" in capsys.readouterr().out


def test_a_tag_on_a_commit_off_main_is_refused_and_nothing_is_created(
    github_emulator: GitHubEmulator,
    history: dict[str, str],
    changelog: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A tag pushed on a commit of an unmerged branch: check fails (exit 2, naming the
    commit and what to do), and publish, run anyway, creates no release and moves no tag."""
    gh = github_emulator
    sha = gh.add_tag(REPO, "v1.0.0", history["off"])
    env = env_for(gh, sha)
    assert release.main(["check", "--changelog", str(changelog)], env=env) == 2
    out = capsys.readouterr().out
    assert (
        f"::error title=No release::v1.0.0 tags commit {sha[:12]}, which is on neither main nor"
        " release/1.0: a release is a commit of main (RELEASING.md)."
    ) in out
    assert "git push --delete origin v1.0.0" in out
    assert release.main(["publish", "--changelog", str(changelog)], env=env) == 2
    assert gh.releases(REPO) == []
    assert gh.git_refs(REPO, "tags/") == {"refs/tags/v1.0.0": sha}
