"""The GitHub emulator's git references API, driven by PyGithub (``create_git_ref``,
``get_git_ref``, ``get_git_refs``, ``get_git_matching_refs``, ``GitRef.edit``,
``GitRef.delete``) and plain requests, with GitHub's answers: 422 "Reference already exists",
"Update is not a fast forward", "Reference does not exist", "Object does not exist", 404 for a
reference that is not there or a repository the caller cannot push to, 403 for a job token
without ``contents: write``."""

from __future__ import annotations

import pytest
from github import GithubException, UnknownObjectException

from tests.services.github_emulator import GitHubEmulator
from tests.services.test_github_emulator import TOKEN, pygithub, raw

REPO = "acme/app"


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """acme/app with main at c1 <- c2 and a side commit s1 (off c1); a bot that can push
    (TOKEN) and mallory who can only read."""
    emu = github_emulator
    emu.add_user("shipyard-bot", token=TOKEN)
    emu.add_user("mallory", token="ghp_mallory")
    emu.add_repo(REPO, collaborators={"shipyard-bot": "write"})
    return emu


def _commits(gh: GitHubEmulator) -> tuple[str, str, str]:
    c1 = gh.add_commit(REPO, "feat: one")
    c2 = gh.add_commit(REPO, "feat: two")
    s1 = gh.add_commit(REPO, "fix: side", parents=[c1])
    return c1, c2, s1


def test_create_get_and_list_tags_through_pygithub(gh: GitHubEmulator) -> None:
    c1, c2, _ = _commits(gh)
    repo = pygithub(gh, retry=None).get_repo(REPO)
    created = repo.create_git_ref("refs/tags/v1.2.0", c2)
    assert created.ref == "refs/tags/v1.2.0"
    assert created.object.sha == c2
    assert created.object.type == "commit"
    assert created.url == f"{gh.url}/repos/{REPO}/git/refs/tags/v1.2.0"
    repo.create_git_ref("refs/tags/v1.10.0", c2)
    repo.create_git_ref("refs/tags/v1", c1)

    assert repo.get_git_ref("tags/v1").object.sha == c1  # GET .../git/ref/tags/v1
    assert [r.ref for r in repo.get_git_matching_refs("tags/v1.")] == [
        "refs/tags/v1.10.0",
        "refs/tags/v1.2.0",
    ]  # a string prefix, sorted by name; v1 itself does not start with "v1."
    assert len(list(repo.get_git_matching_refs("tags/v1"))) == 3
    assert list(repo.get_git_matching_refs("tags/v9")) == []
    assert "refs/heads/main" in [r.ref for r in repo.get_git_refs()]
    assert gh.git_refs(REPO, "tags/") == {
        "refs/tags/v1": c1,
        "refs/tags/v1.10.0": c2,
        "refs/tags/v1.2.0": c2,
    }
    assert "v1.2.0" in [t.name for t in repo.get_tags()]  # the commits API sees the same tags


def test_a_ref_that_exists_is_422_and_a_commit_that_does_not_is_422(gh: GitHubEmulator) -> None:
    c1, _, _ = _commits(gh)
    repo = pygithub(gh, retry=None).get_repo(REPO)
    repo.create_git_ref("refs/tags/v1", c1)
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/tags/v1", c1)
    assert exists.value.status == 422
    assert exists.value.data["message"] == "Reference already exists"
    with pytest.raises(GithubException) as unknown:
        repo.create_git_ref("refs/tags/v2", "f" * 40)
    assert (unknown.value.status, unknown.value.data["message"]) == (422, "Object does not exist")
    for bad in ("tags/v3", "refs/v3"):
        with pytest.raises(GithubException) as malformed:
            repo.create_git_ref(bad, c1)
        assert malformed.value.status == 422
        assert "at least two slashes" in malformed.value.data["message"]
    missing = raw(gh, f"/repos/{REPO}/git/refs", "POST", json={"ref": "refs/tags/v4"})
    assert missing.status_code == 422
    assert missing.json()["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'


def test_edit_moves_forward_and_only_with_force_backwards_or_aside(gh: GitHubEmulator) -> None:
    c1, c2, s1 = _commits(gh)
    repo = pygithub(gh, retry=None).get_repo(REPO)
    tag = repo.create_git_ref("refs/tags/v1", c1)
    tag.edit(c2)  # a fast forward: c2 descends from c1
    assert repo.get_git_ref("tags/v1").object.sha == c2
    for target in (c1, s1):  # back, and to a commit that is not a descendant
        with pytest.raises(GithubException) as refused:
            tag.edit(target)
        assert refused.value.status == 422
        assert refused.value.data["message"] == "Update is not a fast forward"
        assert gh.git_refs(REPO, "tags/v1") == {"refs/tags/v1": c2}
    tag.edit(s1, force=True)
    assert tag.object.sha == s1
    assert repo.get_git_ref("tags/v1").object.sha == s1
    with pytest.raises(GithubException) as unknown:
        tag.edit("e" * 40, force=True)
    assert (unknown.value.status, unknown.value.data["message"]) == (422, "Object does not exist")


def test_missing_refs_are_404_to_read_and_422_to_change(gh: GitHubEmulator) -> None:
    c1, _, _ = _commits(gh)
    repo = pygithub(gh, retry=None).get_repo(REPO)
    with pytest.raises(UnknownObjectException):
        _ = repo.get_git_ref("tags/v9").object  # the lazy object fetches on first use
    assert raw(gh, f"/repos/{REPO}/git/refs/tags/v9").status_code == 404
    for method, body in (("PATCH", {"sha": c1, "force": True}), ("DELETE", None)):
        answer = raw(gh, f"/repos/{REPO}/git/refs/tags/v9", method, json=body)
        assert answer.status_code == 422, method
        assert answer.json()["message"] == "Reference does not exist"
    # the path's ref has no "refs/": a fully qualified one names a reference that does not exist
    repo.create_git_ref("refs/tags/v1", c1)
    answer = raw(gh, f"/repos/{REPO}/git/refs/refs/tags/v1", "PATCH", json={"sha": c1})
    assert (answer.status_code, answer.json()["message"]) == (422, "Reference does not exist")


def test_delete_and_the_older_list_form(gh: GitHubEmulator) -> None:
    c1, c2, _ = _commits(gh)
    repo = pygithub(gh, retry=None).get_repo(REPO)
    repo.create_git_ref("refs/tags/v1", c1)
    repo.create_git_ref("refs/tags/v1.0", c1)
    exact = raw(gh, f"/repos/{REPO}/git/refs/tags/v1.0").json()
    assert exact["ref"] == "refs/tags/v1.0"  # the reference itself
    listed = raw(gh, f"/repos/{REPO}/git/refs/tags").json()
    assert [r["ref"] for r in listed] == ["refs/tags/v1", "refs/tags/v1.0"]  # a prefix: a list
    repo.get_git_ref("tags/v1.0").delete()
    assert gh.git_refs(REPO, "tags/") == {"refs/tags/v1": c1}
    branch = repo.create_git_ref("refs/heads/release-1", c2)
    assert repo.get_branch("release-1").commit.sha == c2  # a branch, as the commits API sees it
    branch.delete()
    assert "release-1" not in [b.name for b in repo.get_branches()]


def test_writing_needs_push_and_the_job_token_contents_write(gh: GitHubEmulator) -> None:
    c1, _, _ = _commits(gh)
    reader = pygithub(gh, "ghp_mallory", retry=None).get_repo(REPO)
    assert reader.get_git_ref("heads/main").object.sha == gh.git_refs(REPO)["refs/heads/main"]
    with pytest.raises(UnknownObjectException):  # GitHub hides what the caller cannot change
        reader.create_git_ref("refs/tags/v1", c1)

    gh.add_installation_token("ghs_read", REPO, {"contents": "read"})
    gh.add_installation_token("ghs_write", REPO, {"contents": "write"})
    with pytest.raises(GithubException) as refused:
        pygithub(gh, "ghs_read", retry=None).get_repo(REPO).create_git_ref("refs/tags/v1", c1)
    assert refused.value.status == 403
    assert refused.value.headers["x-accepted-github-permissions"] == "contents=write"
    job = pygithub(gh, "ghs_write", retry=None).get_repo(REPO)
    job.create_git_ref("refs/tags/v1", c1).edit(c1, force=True)
    assert gh.git_refs(REPO, "tags/v1") == {"refs/tags/v1": c1}
