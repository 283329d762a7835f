"""The GitHub emulator's pull request reviews API, driven by PyGithub (``create_review``,
``get_review_comments``, ``get_reviews``) and plain requests: comments on the diff's lines
only (422 otherwise, nothing created), ranges within a hunk, positions. PyGithub runs lazy:
the emulator serves a pull request's files, reviews and comments, not the pull itself."""

from __future__ import annotations

import pytest
from github import GithubException

from tests.services.github_emulator import GitHubEmulator
from tests.services.test_github_emulator import TOKEN, pygithub, raw

# app.py: lines 1-3 kept, 4-5 added, 6 kept, 7 changed (old line 5); a second hunk adds line 20.
PATCH = (
    "@@ -1,5 +1,7 @@\n a = 1\n b = 2\n c = 3\n+d = 4\n+e = 5\n f = 6\n-g=7\n+g = 7\n"
    "@@ -17,2 +19,3 @@\n s = 1\n+t = 2\n u = 3"
)


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """Repo acme/app with pull request 7 (app.py, PATCH) and a bot that reviews it."""
    emu = github_emulator
    emu.add_user("shipyard-bot", token=TOKEN)
    emu.add_repo("acme/app", collaborators={"shipyard-bot": "write"})
    emu.set_pull_files("acme/app", 7, [{"filename": "app.py", "patch": PATCH}])
    return emu


def test_a_review_with_comments_on_lines_ranges_and_positions(gh: GitHubEmulator) -> None:
    pull = pygithub(gh, retry=None, lazy=True).get_repo("acme/app").get_pull(7)
    review = pull.create_review(
        body="two findings",
        event="COMMENT",
        comments=[
            {"path": "app.py", "line": 4, "side": "RIGHT", "body": "added line"},
            {"path": "app.py", "start_line": 4, "line": 7, "body": "a range in one hunk"},
            {"path": "app.py", "line": 5, "side": "LEFT", "body": "the removed line"},
            {"path": "app.py", "position": 11, "body": "by position: t = 2"},
        ],
    )
    assert review.state == "COMMENTED" and review.body == "two findings"
    assert review.user.login == "shipyard-bot"
    comments = list(pull.get_review_comments())
    assert [(c.line, c.side, c.start_line, c.body) for c in comments] == [
        (4, "RIGHT", None, "added line"),
        (7, "RIGHT", 4, "a range in one hunk"),
        (5, "LEFT", None, "the removed line"),
        (20, "RIGHT", None, "by position: t = 2"),
    ]
    assert all(c.pull_request_review_id == review.id for c in comments)
    assert comments[0].user.login == "shipyard-bot" and comments[0].path == "app.py"
    assert comments[0].diff_hunk.splitlines()[0].startswith("@@ -1,5 +1,7 @@")
    assert comments[0].diff_hunk.splitlines()[-1] == "+d = 4"
    assert [r.id for r in pull.get_reviews()] == [review.id]


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ({"path": "app.py", "line": 12}, "line must be part of the diff"),
        ({"path": "app.py", "line": 5, "side": "LEFT", "start_line": 9}, "start line must be"),
        ({"path": "app.py", "start_line": 3, "line": 20}, "same hunk"),
        ({"path": "app.py", "start_line": 5, "line": 4}, "precede"),
        ({"path": "other.py", "line": 1}, "Path could not be resolved"),
        ({"path": "app.py", "position": 99}, "position is invalid"),
    ],
)
def test_a_comment_off_the_diff_is_422_and_nothing_is_created(
    gh: GitHubEmulator, comment: dict[str, object], reason: str
) -> None:
    pull = pygithub(gh, retry=None, lazy=True).get_repo("acme/app").get_pull(7)
    ok = {"path": "app.py", "line": 5, "body": "fine"}
    with pytest.raises(GithubException) as caught:
        pull.create_review(event="COMMENT", comments=[ok, {**comment, "body": "x"}])
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Unprocessable Entity"
    assert reason in caught.value.data["errors"][0]
    assert gh.review_comments("acme/app", 7) == [] and gh.reviews("acme/app", 7) == []


def test_listing_is_paginated_and_unknown_pulls_are_404(gh: GitHubEmulator) -> None:
    for line in (1, 2, 3, 4, 5):
        gh.review("acme/app", 7, "alice", "", [{"path": "app.py", "line": line, "body": "b"}])
    page = raw(gh, "/repos/acme/app/pulls/7/comments?per_page=2")
    assert page.status_code == 200 and len(page.json()) == 2
    assert 'rel="next"' in page.headers["Link"]
    assert [c["user"]["login"] for c in gh.review_comments("acme/app", 7)] == ["alice"] * 5
    assert raw(gh, "/repos/acme/app/pulls/8/comments").status_code == 404
    empty = raw(gh, "/repos/acme/app/pulls/7/reviews", "POST", json={"event": "COMMENT"})
    assert empty.status_code == 422  # a COMMENT review needs a body or comments
    assert raw(gh, "/repos/acme/app/pulls/7/reviews", "POST", json={}).json()["state"] == "PENDING"
