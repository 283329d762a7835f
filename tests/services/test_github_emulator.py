"""The GitHub emulator, driven by PyGithub and by plain requests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import github
import pytest
import requests
from github import Auth, Github, GithubException
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.services.github_emulator import GitHubEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_shipyard_bot"


def pygithub(emu: GitHubEmulator, token: str = TOKEN, base: str | None = None, **kw: Any) -> Github:
    """A PyGithub client without its client-side throttle (0.25 s per request, 1 s per write)."""
    kw.setdefault("seconds_between_requests", 0)
    kw.setdefault("seconds_between_writes", 0)
    return Github(base_url=base or emu.url, auth=Auth.Token(token), **kw)


def raw(emu: GitHubEmulator, path: str, method: str = "GET", **kw: Any) -> requests.Response:
    headers = {"Authorization": f"token {TOKEN}", **kw.pop("headers", {})}
    return requests.request(method, emu.url + path, headers=headers, timeout=10, **kw)


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """A small world: org acme with team approvers, repo acme/app, a bot that can push."""
    emu = github_emulator
    emu.add_user("shipyard-bot", token=TOKEN, name="Shipyard Bot")
    emu.add_user("mallory", token="ghp_mallory")
    emu.add_team("acme", "approvers", name="Approvers", members=["alice", "bob"])
    emu.add_repo("acme/app", collaborators={"shipyard-bot": "write", "carol": "write"})
    return emu


# ------------------------------------------------------------------------------ auth & users


def test_token_and_bearer_auth(gh: GitHubEmulator) -> None:
    assert pygithub(gh).get_user().login == "shipyard-bot"
    response = raw(gh, "/user", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.json()["name"] == "Shipyard Bot"


def test_bad_credentials(gh: GitHubEmulator) -> None:
    with pytest.raises(BadCredentialsException) as caught:
        pygithub(gh, token="ghp_wrong", retry=None).get_user().login  # noqa: B018
    assert caught.value.status == 401
    body = raw(gh, "/user", headers={"Authorization": "token nope"}).json()
    assert body["message"] == "Bad credentials"
    assert body["documentation_url"].startswith("https://docs.github.com/")
    anonymous = requests.get(f"{gh.url}/user", timeout=5)
    assert (anonymous.status_code, anonymous.json()["message"]) == (401, "Requires authentication")


def test_users_and_unknown_user(gh: GitHubEmulator) -> None:
    client = pygithub(gh, retry=None)
    assert client.get_user("alice").login == "alice"
    assert client.get_organization("acme").login == "acme"
    with pytest.raises(UnknownObjectException):
        client.get_user("nobody")


# ---------------------------------------------------------------------------------- repos


@pytest.mark.parametrize("prefix", ["", "/api/v3"])
def test_repo_under_root_and_ghes_prefix(gh: GitHubEmulator, prefix: str) -> None:
    repo = pygithub(gh, base=gh.url + prefix).get_repo("acme/app")

    assert repo.full_name == "acme/app"
    assert repo.owner.login == "acme" and repo.owner.type == "Organization"
    assert repo.default_branch == "main"
    assert repo.permissions.push is True and repo.permissions.admin is False
    assert repo.url == f"{gh.url}{prefix}/repos/acme/app"
    # PyGithub follows URLs from responses: they must keep the prefix.
    assert repo.get_issues().totalCount == 0
    assert {r.path for r in gh.requests} <= {
        f"{prefix}/repos/acme/app",
        f"{prefix}/repos/acme/app/issues",
    }


def test_private_repo_is_404_to_outsiders(gh: GitHubEmulator) -> None:
    gh.add_repo("acme/secret", private=True, collaborators=["shipyard-bot"])
    assert pygithub(gh).get_repo("acme/secret").private is True
    with pytest.raises(UnknownObjectException):
        pygithub(gh, token="ghp_mallory", retry=None).get_repo("acme/secret")


def test_collaborator_permission(gh: GitHubEmulator) -> None:
    repo = pygithub(gh).get_repo("acme/app")
    assert repo.get_collaborator_permission("carol") == "write"
    assert repo.get_collaborator_permission("mallory") == "read"
    assert repo.has_in_collaborators("carol") is True
    assert repo.has_in_collaborators("mallory") is False


# --------------------------------------------------------------------------------- issues


def test_create_issue_with_labels_and_assignees(gh: GitHubEmulator) -> None:
    gh.add_label("acme/app", "deploy", "0e8a16")
    repo = pygithub(gh).get_repo("acme/app")

    issue = repo.create_issue(
        "Approve deploy of v1.2.3",
        body="Comment /approve",
        labels=["deploy", "approval"],
        assignees=["alice", "carol"],
    )

    assert issue.number == 1
    assert [label.name for label in issue.labels] == ["deploy", "approval"]
    assert [user.login for user in issue.assignees] == ["alice", "carol"]
    assert issue.user.login == "shipyard-bot"
    assert issue.state == "open"
    assert issue.html_url == f"{gh.url}/acme/app/issues/1"
    stored = gh.issue("acme/app", 1)
    assert stored["body"] == "Comment /approve"
    # Unknown labels are created, as GitHub does for users with push access.
    assert {label["name"] for label in gh.labels("acme/app")} == {"deploy", "approval"}
    [request] = gh.requests_to("/repos/acme/app/issues", method="POST")
    assert request.json == {
        "title": "Approve deploy of v1.2.3",
        "body": "Comment /approve",
        "assignees": ["alice", "carol"],
        "labels": ["deploy", "approval"],
    }
    assert request.status == 201


def test_assignees_must_be_assignable_and_at_most_ten(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, retry=None).get_repo("acme/app")
    with pytest.raises(GithubException) as caught:
        repo.create_issue("x", assignees=["mallory"])
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Validation Failed"
    assert caught.value.data["errors"] == [
        {"resource": "Issue", "code": "invalid", "field": "assignees", "value": "mallory"}
    ]

    for i in range(11):
        gh.add_collaborator("acme/app", f"dev{i}")
    with pytest.raises(GithubException) as caught:
        repo.create_issue("x", assignees=[f"dev{i}" for i in range(11)])
    assert caught.value.status == 422
    assert gh.issues("acme/app") == []


def test_missing_title_is_422(gh: GitHubEmulator) -> None:
    response = raw(gh, "/repos/acme/app/issues", "POST", json={"body": "no title"})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "resource": "Issue",
        "code": "missing_field",
        "field": "title",
    }


def test_labels_and_assignees_are_dropped_for_users_without_push(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, token="ghp_mallory").get_repo("acme/app")
    issue = repo.create_issue("drive-by", labels=["deploy"], assignees=["alice"])
    assert issue.labels == [] and issue.assignees == []


def test_close_not_planned_then_reopen(gh: GitHubEmulator) -> None:
    issue = pygithub(gh).get_repo("acme/app").create_issue("Approve deploy")

    issue.edit(state="closed", state_reason="not_planned")

    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    assert issue.closed_by is not None and issue.closed_by.login == "shipyard-bot"
    assert issue.closed_at is not None
    issue.edit(state="open")
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    assert issue.closed_at is None
    issue.edit(state="closed")
    assert issue.state_reason == "completed"


def test_invalid_state_reason_is_422(gh: GitHubEmulator) -> None:
    gh.create_issue("acme/app", "x", user="shipyard-bot")
    response = raw(
        gh, "/repos/acme/app/issues/1", "PATCH", json={"state": "closed", "state_reason": "meh"}
    )
    assert response.status_code == 422
    assert gh.issue("acme/app", 1)["state"] == "open"


def test_list_issues_filters(gh: GitHubEmulator) -> None:
    gh.create_issue("acme/app", "a", user="shipyard-bot", labels=["deploy"])
    gh.create_issue("acme/app", "b", user="shipyard-bot", assignees=["carol"])
    gh.edit_issue("acme/app", 2, "carol", state="closed")
    repo = pygithub(gh).get_repo("acme/app")
    assert [i.title for i in repo.get_issues()] == ["a"]
    assert [i.title for i in repo.get_issues(state="all")] == ["b", "a"]
    assert [i.title for i in repo.get_issues(state="all", labels=["deploy"])] == ["a"]
    assert [i.title for i in repo.get_issues(state="closed", assignee="carol")] == ["b"]


def test_add_labels_and_assignees_to_issue(gh: GitHubEmulator) -> None:
    issue = pygithub(gh).get_repo("acme/app").create_issue("x")
    issue.add_to_labels("deploy", "prod")
    issue.add_to_assignees("carol")
    issue.remove_from_labels("prod")
    assert [label.name for label in issue.get_labels()] == ["deploy"]
    assert [user.login for user in issue.assignees] == ["carol"]
    assert [user["login"] for user in gh.issue("acme/app", 1)["assignees"]] == ["carol"]


def test_create_and_list_labels(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, retry=None).get_repo("acme/app")
    label = repo.create_label("deploy", "0e8a16", "Deploy approvals")
    assert (label.name, label.color, label.description) == ("deploy", "0e8a16", "Deploy approvals")
    assert [x.name for x in repo.get_labels()] == ["deploy"]
    with pytest.raises(GithubException) as caught:
        repo.create_label("Deploy", "ffffff")
    assert caught.value.data["errors"][0]["code"] == "already_exists"


# ------------------------------------------------------------------------------- comments


def test_150_comments_through_paginated_list(gh: GitHubEmulator) -> None:
    issue_number = gh.create_issue("acme/app", "approve?", user="shipyard-bot")["number"]
    for i in range(150):
        gh.comment("acme/app", issue_number, "alice" if i % 2 else "bob", f"comment {i}")
    issue = pygithub(gh).get_repo("acme/app").get_issue(issue_number)
    before = len(gh.requests)

    bodies = [c.body for c in issue.get_comments()]

    assert bodies == [f"comment {i}" for i in range(150)]
    pages = gh.requests[before:]
    assert [r.query.get("page") for r in pages] == [None, "2", "3", "4", "5"]
    assert issue.get_comments().totalCount == 150
    assert issue.comments == 150

    big_pages = pygithub(gh, per_page=100).get_repo("acme/app").get_issue(issue_number)
    start = len(gh.requests)
    assert len(list(big_pages.get_comments())) == 150
    assert [r.query for r in gh.requests[start:]] == [
        {"per_page": "100"},
        {"per_page": "100", "page": "2"},
    ]


def test_link_header_is_formatted_like_github(gh: GitHubEmulator) -> None:
    gh.create_issue("acme/app", "x", user="shipyard-bot")
    for i in range(120):
        gh.comment("acme/app", 1, "alice", str(i))
    base = f"{gh.url}/repos/acme/app/issues/1/comments"

    first = raw(gh, "/repos/acme/app/issues/1/comments", params={"per_page": 50})
    middle = raw(gh, "/repos/acme/app/issues/1/comments", params={"per_page": 50, "page": 2})
    last = raw(gh, "/repos/acme/app/issues/1/comments", params={"per_page": 50, "page": 3})
    capped = raw(gh, "/repos/acme/app/issues/1/comments", params={"per_page": 500})

    assert first.headers["Link"] == (
        f'<{base}?per_page=50&page=2>; rel="next", <{base}?per_page=50&page=3>; rel="last"'
    )
    assert middle.headers["Link"] == (
        f'<{base}?per_page=50&page=1>; rel="prev", <{base}?per_page=50&page=3>; rel="next", '
        f'<{base}?per_page=50&page=3>; rel="last", <{base}?per_page=50&page=1>; rel="first"'
    )
    assert last.headers["Link"] == (
        f'<{base}?per_page=50&page=2>; rel="prev", <{base}?per_page=50&page=1>; rel="first"'
    )
    assert [len(r.json()) for r in (first, middle, last, capped)] == [50, 50, 20, 100]
    assert "Link" not in raw(gh, "/repos/acme/app/labels").headers


def test_comment_create_get_and_author_association(gh: GitHubEmulator) -> None:
    issue = pygithub(gh).get_repo("acme/app").create_issue("x")
    mine = issue.create_comment("Waiting for approval")
    gh.comment("acme/app", issue.number, "alice", "/approve")
    gh.comment("acme/app", issue.number, "mallory", "/approve")

    fetched = issue.get_comment(mine.id)
    assert fetched.body == "Waiting for approval"
    comments = raw(gh, f"/repos/acme/app/issues/{issue.number}/comments").json()
    assert [(c["user"]["login"], c["author_association"]) for c in comments] == [
        ("shipyard-bot", "COLLABORATOR"),
        ("alice", "MEMBER"),
        ("mallory", "NONE"),
    ]
    empty = raw(gh, f"/repos/acme/app/issues/{issue.number}/comments", "POST", json={})
    assert empty.status_code == 422


# ------------------------------------------------------------------- tags, commits, compare


def test_tags_commits_and_compare(gh: GitHubEmulator) -> None:
    gh.add_tag("acme/app", "v1.0.0")
    shas = [
        gh.add_commit("acme/app", msg, author="alice", files=[f"src/{i}.py"])
        for i, msg in enumerate(["feat: a", "fix: b", "docs: c"])
    ]
    gh.add_tag("acme/app", "v1.1.0", shas[-1])
    repo = pygithub(gh).get_repo("acme/app")

    assert [t.name for t in repo.get_tags()] == ["v1.1.0", "v1.0.0"]
    assert repo.get_commit("v1.1.0").sha == shas[-1]
    assert repo.get_commit(shas[0][:7]).commit.message == "feat: a"
    assert repo.get_commit(shas[0]).author.login == "alice"

    comparison = repo.compare("v1.0.0", "main")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 3, 0)
    assert comparison.total_commits == 3
    assert [c.commit.message for c in comparison.commits] == ["feat: a", "fix: b", "docs: c"]
    assert [f.filename for f in comparison.files] == ["src/0.py", "src/1.py", "src/2.py"]
    assert repo.compare("main", "v1.0.0").status == "behind"
    assert raw(gh, "/repos/acme/app/commits/nope").status_code == 422


def test_diverged_compare(gh: GitHubEmulator) -> None:
    base = gh.add_tag("acme/app", "base")
    gh.add_commit("acme/app", "on main")
    gh.add_commit("acme/app", "on hotfix", parents=[base], branch="hotfix")
    body = raw(gh, "/repos/acme/app/compare/main...hotfix").json()
    assert (body["status"], body["ahead_by"], body["behind_by"]) == ("diverged", 1, 1)
    assert body["merge_base_commit"]["sha"] == base


# ------------------------------------------------------------------------------- workflows


def test_workflow_dispatch(gh: GitHubEmulator) -> None:
    gh.add_workflow(
        "acme/app",
        ".github/workflows/deploy.yml",
        name="Deploy",
        inputs={"environment": {"required": True}, "version": {}},
    )
    workflow = pygithub(gh).get_repo("acme/app").get_workflow("deploy.yml")

    assert workflow.create_dispatch("main", {"environment": "prod", "version": "1.2.3"}) is True

    assert workflow.name == "Deploy"
    [dispatch] = gh.dispatches("acme/app")
    assert dispatch["ref"] == "main"
    assert dispatch["inputs"] == {"environment": "prod", "version": "1.2.3"}
    assert dispatch["user"] == "shipyard-bot"
    # PyGithub completes the workflow first, then posts to its URL (by id).
    [posted] = gh.requests_to("/repos/acme/app/actions/workflows/*/dispatches")
    assert (posted.status, posted.json) == (204, {"ref": "main", "inputs": dispatch["inputs"]})
    run = workflow.create_dispatch("main", {"environment": "dev"}, return_run_details=True)
    assert run.id == gh.dispatches()[-1]["run_id"]


def test_workflow_dispatch_errors(gh: GitHubEmulator) -> None:
    gh.add_workflow("acme/app", ".github/workflows/deploy.yml", inputs={"env": {"required": True}})
    path = "/repos/acme/app/actions/workflows/deploy.yml/dispatches"
    missing_ref = raw(gh, path, "POST", json={"inputs": {}})
    assert missing_ref.status_code == 422
    assert missing_ref.json()["message"] == 'Invalid request.\n\n"ref" wasn\'t supplied.'
    unknown_ref = raw(gh, path, "POST", json={"ref": "nope", "inputs": {"env": "x"}})
    assert unknown_ref.json()["message"] == "No ref found for: nope"
    extra = raw(gh, path, "POST", json={"ref": "main", "inputs": {"env": "x", "bad": "1"}})
    assert extra.json()["message"] == 'Unexpected inputs provided: ["bad"]'
    required = raw(gh, path, "POST", json={"ref": "main"})
    assert required.json()["message"] == "Required input 'env' not provided"
    unknown = raw(gh, "/repos/acme/app/actions/workflows/nope.yml/dispatches", "POST", json={})
    assert unknown.status_code == 404
    with pytest.raises(UnknownObjectException):
        workflow = pygithub(gh, retry=None).get_repo("acme/app").get_workflow("nope.yml")
        workflow.create_dispatch("main", throw=True)
    assert gh.dispatches() == []


# ----------------------------------------------------------------------------- rate limit


def test_every_request_spends_one_unit_except_rate_limit(gh: GitHubEmulator) -> None:
    client = pygithub(gh)
    start = client.get_rate_limit().resources.core
    assert (start.limit, start.remaining, start.used) == (5000, 5000, 0)

    client.get_repo("acme/app")
    client.get_user("alice")
    response = raw(gh, "/users/bob")

    assert response.headers["X-RateLimit-Remaining"] == "4997"
    assert response.headers["X-RateLimit-Used"] == "3"
    assert response.headers["X-RateLimit-Resource"] == "core"
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert client.get_rate_limit().resources.core.remaining == 4997
    assert gh.units_spent == 3
    assert [r.spent for r in gh.requests] == [False, True, True, True, False]


def test_exhausted_limit_raises_and_resets(gh: GitHubEmulator) -> None:
    gh.set_rate_limit(remaining=0, reset_in=0.5)
    client = pygithub(gh, retry=None)

    with pytest.raises(RateLimitExceededException) as caught:
        client.get_user("alice")

    headers = caught.value.headers
    assert caught.value.status == 403 and headers is not None
    assert headers["x-ratelimit-remaining"] == "0"
    assert client.get_rate_limit().resources.core.remaining == 0  # /rate_limit still answers
    reset = int(headers["x-ratelimit-reset"])
    time.sleep(max(reset - time.time(), 0) + 0.05)
    response = raw(gh, "/users/alice")
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "4999"


def _record_retry_sleeps(monkeypatch: pytest.MonkeyPatch, then: Any = None) -> list[float]:
    """urllib3's retry sleeps recorded instead of slept (the wait a retry asked for, event
    driven: no wall clock in the assertion); ``then`` runs in place of the sleep."""
    from urllib3.util.retry import Retry

    slept: list[float] = []

    def sleep(self: Retry, response: Any = None) -> None:
        after = self.get_retry_after(response) if response is not None else None
        slept.append(after if after is not None else self.get_backoff_time())
        if then is not None:
            then()

    monkeypatch.setattr(Retry, "sleep", sleep)
    return slept


def test_pygithub_retry_waits_for_the_reset(
    gh: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh.set_rate_limit(remaining=0, reset_in=30)
    # GithubRetry sleeps until X-RateLimit-Reset + 1 s, then retries: the fake sleep is the
    # reset arriving (the bucket refills), and records how long the client would have waited.
    slept = _record_retry_sleeps(monkeypatch, then=lambda: gh.set_rate_limit(remaining=5000))
    assert pygithub(gh).get_user("alice").login == "alice"
    assert [r.status for r in gh.requests] == [403, 200]
    assert len(slept) == 1 and 25 < slept[0] <= 32, slept


def test_secondary_rate_limit(gh: GitHubEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    gh.secondary_rate_limit(1, retry_after=7)
    response = raw(gh, "/repos/acme/app")
    assert response.status_code == 403
    assert response.headers["Retry-After"] == "7"
    assert response.json()["message"].startswith("You have exceeded a secondary rate limit")

    gh.secondary_rate_limit(1, retry_after=60)
    with pytest.raises(RateLimitExceededException):
        pygithub(gh, retry=None).get_repo("acme/app")

    gh.secondary_rate_limit(1, retry_after=1, status=429)
    slept = _record_retry_sleeps(monkeypatch)
    assert pygithub(gh).get_repo("acme/app").name == "app"  # urllib3 honours Retry-After
    assert slept == [1]


# ------------------------------------------------------------------- conditional requests


def test_etag_and_304_do_not_spend(gh: GitHubEmulator) -> None:
    first = raw(gh, "/repos/acme/app/issues")
    etag = first.headers["ETag"]
    assert re.fullmatch(r'W/"[0-9a-f]{64}"', etag)

    again = raw(gh, "/repos/acme/app/issues", headers={"If-None-Match": etag})
    strong = raw(gh, "/repos/acme/app/issues", headers={"If-None-Match": etag[2:]})

    assert (again.status_code, again.content) == (304, b"")
    assert strong.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]
    assert gh.units_spent == 1
    assert gh.counters()["not_modified"] == 2

    gh.create_issue("acme/app", "new", user="shipyard-bot")
    changed = raw(gh, "/repos/acme/app/issues", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [r.spent for r in gh.requests] == [True, False, False, True]


# ---------------------------------------------------------------------------------- faults


def test_server_errors_are_retried_by_pygithub(gh: GitHubEmulator) -> None:
    gh.fail_next(2, status=502, path="/repos/*")
    assert pygithub(gh).get_repo("acme/app").name == "app"
    assert [r.status for r in gh.requests] == [502, 502, 200]
    assert [r.spent for r in gh.requests] == [False, False, True]

    gh.fail_next(1, status=503, path="/api/v3/users/*", retry_after=0)
    response = raw(gh, "/users/alice")
    assert (response.status_code, response.headers["Retry-After"]) == (503, "0")


def test_dropped_connections(gh: GitHubEmulator) -> None:
    gh.drop_next(1, mode="reset", path="/users/*")
    with pytest.raises(requests.ConnectionError):
        raw(gh, "/users/alice")
    gh.drop_next(1, mode="close", method="GET")
    with pytest.raises(requests.ConnectionError):
        raw(gh, "/users/alice")
    gh.drop_next(2, mode="reset")
    assert pygithub(gh).get_user("bob").login == "bob"  # urllib3 retries the GET
    assert [r.fault for r in gh.requests] == ["reset", "close", "reset", "reset", None]
    assert gh.requests[0].authorization == f"token {TOKEN}"  # dropped requests are recorded too


# ----------------------------------------------------------------------- control endpoints


def test_control_endpoints(github_emulator: GitHubEmulator) -> None:
    control = f"{github_emulator.url}/_emulator"
    seed = {
        "users": [{"login": "bot", "token": "ghp_x"}],
        "repos": [{"full_name": "bot/app", "workflows": [{"path": ".github/workflows/ci.yml"}]}],
    }
    assert requests.post(f"{control}/seed", json=seed, timeout=5).status_code == 201
    issue = requests.post(
        f"{control}/issues", json={"repo": "bot/app", "title": "t", "user": "bot"}, timeout=5
    ).json()
    requests.post(
        f"{control}/comments",
        json={"repo": "bot/app", "issue": issue["number"], "user": "alice", "body": "/approve"},
        timeout=5,
    )
    requests.post(f"{control}/faults", json={"count": 1, "status": 500}, timeout=5)
    requests.post(f"{control}/rate_limit", json={"remaining": 10}, timeout=5)

    client = pygithub(github_emulator, token="ghp_x")
    [comment] = client.get_repo("bot/app").get_issue(issue["number"]).get_comments()
    assert comment.body == "/approve"
    client.get_repo("bot/app").get_workflow("ci.yml").create_dispatch("main")

    bucket = requests.get(f"{control}/rate_limit", params={"token": "ghp_x"}, timeout=5).json()
    assert bucket["remaining"] == 4
    counters = requests.get(f"{control}/counters", timeout=5).json()
    assert counters == {"requests": 7, "rate_limit_spent": 6, "not_modified": 0, "faults": 1}
    recorded = requests.get(f"{control}/requests", timeout=5).json()
    assert [r["status"] for r in recorded] == [500, 200, 200, 200, 200, 200, 204]
    assert recorded[1]["headers"]["Authorization"] == "token ghp_x"
    dispatches = requests.get(f"{control}/dispatches", timeout=5).json()
    assert [d["workflow"] for d in dispatches] == [".github/workflows/ci.yml"]

    requests.post(f"{control}/reset", timeout=5)
    assert requests.get(f"{control}/requests", timeout=5).json() == []
    assert requests.get(f"{github_emulator.url}/users/bot", timeout=5).status_code == 404


def test_cli_with_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "users": [{"login": "bot", "token": "ghp_cli"}],
                "orgs": [
                    {
                        "login": "acme",
                        "members": ["bot"],
                        "teams": [{"slug": "ops", "members": ["alice"]}],
                    }
                ],
                "repos": [
                    {
                        "full_name": "acme/app",
                        "collaborators": ["bot"],
                        "tags": {"v1.0.0": "main"},
                        "issues": [{"title": "hello", "user": "bot"}],
                    }
                ],
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.services.github_emulator", "--port", "0", "--seed", seed],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().split()[-1]
        client = github.Github(
            base_url=f"{base}/api/v3", auth=Auth.Token("ghp_cli"), seconds_between_requests=0
        )
        repo = client.get_repo("acme/app")
        assert [t.name for t in repo.get_tags()] == ["v1.0.0"]
        assert repo.get_issue(1).title == "hello"
        team = client.get_organization("acme").get_team_by_slug("ops")
        assert [m.login for m in team.get_members()] == ["alice"]
    finally:
        process.terminate()
        process.wait(timeout=5)


# ------------------------------------------------------- workflow runs and GraphQL (approval)


@pytest.mark.parametrize("prefix", ["", "/api/v3"])
def test_workflow_run_by_id(gh: GitHubEmulator, prefix: str) -> None:
    gh.add_run("acme/app", 77, actor="alice", triggering_actor="bob")
    run = pygithub(gh, base=gh.url + prefix).get_repo("acme/app").get_workflow_run(77)
    assert (run.actor.login, run.triggering_actor.login) == ("alice", "bob")
    assert run.html_url.endswith("/acme/app/actions/runs/77")
    gh.remove_run("acme/app", 77)
    with pytest.raises(UnknownObjectException):
        pygithub(gh).get_repo("acme/app").get_workflow_run(77)


HISTORY = """query($o: String!, $n: String!, $i: Int!) { viewer { login }
  repository(owner: $o, name: $n) { issue(number: $i) {
    author { login } lastEditedAt editor { login } includesCreatedEdit
    userContentEdits(first: 10) { totalCount nodes { diff editor { login } } } } } }"""


@pytest.mark.parametrize("prefix", ["", "/api/v3"])
def test_graphql_edit_history_of_issues_and_comments(gh: GitHubEmulator, prefix: str) -> None:
    gh.create_issue("acme/app", "Release", user="shipyard-bot", body="original")
    comment = gh.comment("acme/app", 1, "bob", "no")
    requester = pygithub(gh, base=gh.url + prefix).requester
    variables = {"o": "acme", "n": "app", "i": 1}

    _, data = requester.graphql_query(HISTORY, variables)
    issue = data["data"]["repository"]["issue"]
    assert data["data"]["viewer"]["login"] == "shipyard-bot"
    assert (issue["author"]["login"], issue["lastEditedAt"], issue["editor"]) == (
        "shipyard-bot",
        None,
        None,
    )
    assert issue["userContentEdits"]["totalCount"] == 0

    gh.edit_issue("acme/app", 1, "carol", body="original")  # the same text: no edit
    gh.edit_issue("acme/app", 1, "carol", body="forged")
    _, data = requester.graphql_query(HISTORY, variables)
    issue = data["data"]["repository"]["issue"]
    assert issue["editor"]["login"] == "carol" and issue["lastEditedAt"]
    assert issue["includesCreatedEdit"] is True
    edits = issue["userContentEdits"]
    assert edits["totalCount"] == 2
    assert [(n["diff"], n["editor"]["login"]) for n in edits["nodes"]] == [
        ("forged", "carol"),  # newest first, as GitHub lists them
        ("original", "shipyard-bot"),
    ]

    query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on IssueComment { lastEditedAt } } }"
    ids = [comment["node_id"], "bm9wZQ=="]
    _, data = requester.graphql_query(query, {"ids": ids})
    assert data["data"]["nodes"] == [{"lastEditedAt": None}, None]
    gh.edit_comment("acme/app", comment["id"], "carol", "approve")
    _, data = requester.graphql_query(query, {"ids": ids[:1]})
    assert data["data"]["nodes"][0]["lastEditedAt"]
    assert gh.edits("acme/app", 1, comment["id"])[-1]["editor"] == "carol"
    assert {r.path for r in gh.requests_to("/graphql", "POST")} == {
        "/api/graphql" if prefix else "/graphql"
    }


def test_graphql_errors_are_answered_as_github_does(gh: GitHubEmulator) -> None:
    requester = pygithub(gh).requester
    with pytest.raises(GithubException) as bad:
        requester.graphql_query("{ viewer { nope } }", {})
    assert "Cannot query field 'nope'" in json.dumps(bad.value.data)
    with pytest.raises(UnknownObjectException):
        requester.graphql_query('query { repository(owner: "acme", name: "secret") { id } }', {})
    assert raw(gh, "/graphql", "POST", json={"query": "{ viewer { login } }"}).status_code == 200
    assert (
        requests.post(
            gh.url + "/graphql", json={"query": "{ viewer { login } }"}, timeout=10
        ).status_code
        == 401
    )
