"""The GitHub emulator's releases API, driven by PyGithub, plain requests and release.yml's own
GitHub Release step (run as the workflow has it, against the emulator)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from github import GithubException, UnknownObjectException

from tests.services.github_emulator import GitHubEmulator
from tests.services.test_github_emulator import TOKEN, pygithub, raw

ROOT = Path(__file__).resolve().parents[2]
RELEASE_YML = ROOT / ".github" / "workflows" / "github-release.yml"


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """Repo acme/app, a bot that can push (TOKEN), mallory who can only read."""
    emu = github_emulator
    emu.add_user("shipyard-bot", token=TOKEN)
    emu.add_user("mallory", token="ghp_mallory")
    emu.add_repo("acme/app", collaborators={"shipyard-bot": "write"})
    return emu


def test_create_get_by_tag_list_and_latest_through_pygithub(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, retry=None).get_repo("acme/app")
    first = repo.create_git_release(
        "v1.0.0", "v1.0.0", "Image `sha256:aa`", generate_release_notes=True
    )
    assert first.tag_name == "v1.0.0"
    assert first.author.login == "shipyard-bot"
    assert (
        first.body == f"Image `sha256:aa`\n\n**Full Changelog**: {gh.url}/acme/app/commits/v1.0.0"
    )
    assert first.html_url == f"{gh.url}/acme/app/releases/tag/v1.0.0"
    assert "v1.0.0" in [t.name for t in repo.get_tags()]  # GitHub tags the default branch

    second = repo.create_git_release("v1.1.0", message="", generate_release_notes=True)
    assert second.name == "v1.1.0"  # generated name: the tag
    assert second.body.endswith("/acme/app/compare/v1.0.0...v1.1.0")
    repo.create_git_release("v1.2.0-rc.1", "rc", "", prerelease=True)

    assert repo.get_release("v1.0.0").id == first.id  # by tag: GET .../releases/tags/v1.0.0
    assert repo.get_release(second.id).tag_name == "v1.1.0"
    assert repo.get_latest_release().tag_name == "v1.1.0"  # not the prerelease
    assert [r.tag_name for r in repo.get_releases()] == ["v1.2.0-rc.1", "v1.1.0", "v1.0.0"]
    assert [r["tag_name"] for r in gh.releases("acme/app")][-1] == "v1.0.0"


def test_a_duplicate_tag_is_422_already_exists(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, retry=None).get_repo("acme/app")
    repo.create_git_release("v2.0.0", "v2.0.0", "one")
    with pytest.raises(GithubException) as caught:
        repo.create_git_release("v2.0.0", "again", "two")
    assert caught.value.status == 422
    data: Any = caught.value.data
    assert data["message"] == "Validation Failed"
    assert data["errors"] == [
        {"resource": "Release", "code": "already_exists", "field": "tag_name"}
    ]
    assert data["documentation_url"].startswith("https://docs.github.com/rest/releases")
    missing = raw(gh, "/repos/acme/app/releases", "POST", json={"name": "no tag"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["code"] == "missing_field"
    unknown = raw(gh, "/repos/acme/app/releases", "POST",
                  json={"tag_name": "v9", "target_commitish": "nope"})  # fmt: skip
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "target_commitish")


def test_update_delete_and_drafts(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, retry=None).get_repo("acme/app")
    release = repo.create_git_release("v3.0.0", "v3.0.0", "old")
    updated = release.update_release("v3.0.0 (final)", "new")
    assert (updated.name, updated.body) == ("v3.0.0 (final)", "new")
    assert repo.get_release("v3.0.0").body == "new"
    draft = repo.create_git_release("v4.0.0", "draft", "wip", draft=True)
    assert draft.draft and draft.html_url.endswith(f"/releases/tag/untagged-{draft.id:x}")
    assert "v4.0.0" not in [t.name for t in repo.get_tags()]  # created when published
    with pytest.raises(UnknownObjectException):
        repo.get_release("v4.0.0")  # by tag: published releases only
    reader = pygithub(gh, token="ghp_mallory", retry=None).get_repo("acme/app")
    assert [r.tag_name for r in reader.get_releases()] == ["v3.0.0"]  # no drafts for readers
    published = draft.update_release("v4.0.0", "done", draft=False)
    assert not published.draft and published.published_at is not None
    assert "v4.0.0" in [t.name for t in repo.get_tags()]
    release.delete_release()
    with pytest.raises(UnknownObjectException):
        repo.get_release("v3.0.0")


def test_writing_needs_push_permission(gh: GitHubEmulator) -> None:
    body = {"tag_name": "v5.0.0"}
    anonymous = requests.post(f"{gh.url}/repos/acme/app/releases", json=body, timeout=5)
    assert anonymous.status_code == 401
    reader = raw(gh, "/repos/acme/app/releases", "POST", json=body,
                 headers={"Authorization": "token ghp_mallory"})  # fmt: skip
    assert reader.status_code == 404
    assert gh.releases("acme/app") == []
    notes = raw(gh, "/api/v3/repos/acme/app/releases/generate-notes", "POST", json=body)
    assert notes.json() == {
        "name": "v5.0.0",
        "body": f"**Full Changelog**: {gh.url}/acme/app/commits/v5.0.0",
    }


def release_step() -> str:
    """github-release.yml's step (release.yml calls it), as the workflow runs it (bash)."""
    job = yaml.safe_load(RELEASE_YML.read_text())["jobs"]["publish"]
    (step,) = job["steps"]
    return str(step["run"])


def run_release_step(
    gh: GitHubEmulator,
    tmp_path: Path,
    digest: str,
    *,
    repository: str = "acme/app",
    api: str | None = None,
) -> subprocess.CompletedProcess[str]:
    summary = tmp_path / "summary.md"
    env = {
        "PATH": os.environ["PATH"],
        "GH_TOKEN": TOKEN,
        "GITHUB_API_URL": api or gh.api_v3_url,
        "GITHUB_REPOSITORY": repository,
        "GITHUB_REF_NAME": "v6.1.0",
        "TAG": "v6.1.0",
        "NOTES": "",
        "GITHUB_REF": "refs/tags/v6.1.0",
        "GITHUB_SHA": "a" * 40,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_STEP_SUMMARY": str(summary),
        "DIGEST": digest,
        "TAGS": "registry.test/app:6.1.0\nregistry.test/app:6.1\n",
    }
    return subprocess.run(
        ["bash", "-e", "-c", release_step()], env=env, capture_output=True, text=True, timeout=60
    )


def test_release_yml_step_creates_then_updates_on_a_rerun(
    gh: GitHubEmulator, tmp_path: Path
) -> None:
    gh.add_tag("acme/app", "v6.0.0")
    pygithub(gh).get_repo("acme/app").create_git_release("v6.0.0", "v6.0.0", "")
    first = run_release_step(gh, tmp_path, "sha256:" + "1" * 64)
    assert first.returncode == 0, first.stderr
    assert "::stop-commands::" in first.stdout  # the server's answer is fenced
    release = pygithub(gh).get_repo("acme/app").get_release("v6.1.0")
    assert re.fullmatch(
        re.escape(
            f"Image digest `sha256:{'1' * 64}`\n\n"
            "- `registry.test/app:6.1.0`\n- `registry.test/app:6.1`\n\nPublished "
        )
        + r"\d{4}-\d\d-\d\d \d\d:\d\d UTC by run 4242\.\n\n\n"
        + re.escape(f"**Full Changelog**: {gh.url}/acme/app/compare/v6.0.0...v6.1.0"),
        release.body,
    ), release.body
    again = run_release_step(gh, tmp_path, "sha256:" + "2" * 64)  # a re-run of the job
    assert again.returncode == 0, again.stderr
    assert [r["tag_name"] for r in gh.releases("acme/app")] == ["v6.1.0", "v6.0.0"]
    body = pygithub(gh).get_repo("acme/app").get_release("v6.1.0").body
    assert body.startswith(f"Image digest `sha256:{'2' * 64}`")
    assert body.endswith("/acme/app/compare/v6.0.0...v6.1.0")
    assert len(gh.requests_to("/repos/acme/app/releases", "POST")) == 3


def test_release_yml_step_fails_clearly(gh: GitHubEmulator, tmp_path: Path) -> None:
    """No permission (404), a server error (502, its body fenced), no server at all: one
    ::error line naming the tag and the cause, exit 1, no traceback."""
    gh.add_repo("acme/locked", private=True)
    denied = run_release_step(gh, tmp_path, "sha256:" + "3" * 64, repository="acme/locked")
    assert denied.returncode == 1
    assert "::error title=GitHub Release::the release for v6.1.0 failed (HTTP 404)" in (
        denied.stdout
    )
    gh.fail_next(1, 502, path="/repos/acme/app/releases", method="POST", body="::warning::boom")
    broken = run_release_step(gh, tmp_path, "sha256:" + "3" * 64)
    assert broken.returncode == 1
    assert "failed (HTTP 502)" in broken.stdout
    fence = broken.stdout.split("::stop-commands::", 1)[1]
    assert "::warning::boom" in fence  # inside the fence: printed, never a command
    gone = run_release_step(gh, tmp_path, "sha256:" + "3" * 64, api="http://127.0.0.1:9")
    assert gone.returncode == 1
    assert "the release for v6.1.0 failed: URLError" in gone.stdout
    for result in (denied, broken, gone):
        assert "Traceback" not in result.stderr, result.stderr
    assert gh.releases("acme/app") == []
