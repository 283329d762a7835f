"""The GitHub emulator refuses what GitHub refuses, proven through PyGithub: a classic token's
OAuth scopes (404 and ``X-Accepted-OAuth-Scopes``), an installation token's permissions (the
job's ``GITHUB_TOKEN``: 403 "Resource not accessible by integration" and
``X-Accepted-GitHub-Permissions``), teams seen only by the organization's members with
``read:org``, and a rate-limit bucket per token and resource."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from github import Auth, Github, GithubException
from github.GithubException import RateLimitExceededException, UnknownObjectException

from tests.services.github_emulator import GitHubEmulator

PRIVATE = "acme/app"
PUBLIC = "acme/site"
INTEGRATION = "Resource not accessible by integration"


def pygithub(emu: GitHubEmulator, token: str) -> Github:
    """PyGithub without its client-side throttle or retries: a refusal is raised at once."""
    return Github(
        base_url=emu.url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def raw(emu: GitHubEmulator, token: str | None, path: str, method: str = "GET", **kw: Any):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(method, emu.url + path, headers=headers, timeout=10, **kw)


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """Org acme (alice, bob), its closed team approvers and secret team security (bob), a
    private and a public repository alice can push to, and mallory, an outsider."""
    emu = github_emulator
    emu.add_org("acme", members=["alice", "bob"])
    emu.add_team("acme", "approvers", name="Approvers", members=["alice", "bob"])
    emu.add_team("acme", "security", members=["bob"], privacy="secret")
    emu.add_repo(PRIVATE, private=True, collaborators={"alice": "write"})
    emu.add_repo(PUBLIC, collaborators={"alice": "write"})
    emu.add_workflow(PRIVATE, ".github/workflows/deploy.yml")
    emu.set_pull_files(PRIVATE, 7, ["app.py"])
    emu.add_user("mallory")
    return emu


def classic(emu: GitHubEmulator, login: str, *scopes: str) -> str:
    token = f"ghp_{login}_{'_'.join(s.replace(':', '-') for s in scopes) or 'none'}"
    emu.add_token(token, login, scopes=scopes)
    return token


def github_token(emu: GitHubEmulator, **permissions: str) -> str:
    """The job's GITHUB_TOKEN on acme/app, with ``permissions`` (pull_requests=...)."""
    emu.add_installation_token("ghs_job", PRIVATE, permissions)
    return "ghs_job"


# -------------------------------------------------------------------------- classic scopes


def test_a_default_token_has_full_access_and_says_so(gh: GitHubEmulator) -> None:
    gh.add_user("alice", token="ghp_full")
    client = pygithub(gh, "ghp_full")
    assert client.get_repo(PRIVATE).get_issues().totalCount == 0
    assert client.oauth_scopes == ["repo", "workflow", "read:org"]
    team = client.get_organization("acme").get_team_by_slug("approvers")
    assert [m.login for m in team.get_members()] == ["alice", "bob"]
    assert gh.grant("ghp_full") == {"kind": "classic", "scopes": ["repo", "workflow", "read:org"]}


def test_no_scope_reads_public_data_only(gh: GitHubEmulator) -> None:
    token = classic(gh, "alice")
    client = pygithub(gh, token)
    assert client.get_repo(PUBLIC).get_issues().totalCount == 0
    with pytest.raises(UnknownObjectException):
        client.get_repo(PRIVATE)  # alice can push there, her token cannot see it
    with pytest.raises(UnknownObjectException):
        client.get_repo(PUBLIC).create_issue("needs public_repo")

    answer = raw(gh, token, f"/repos/{PUBLIC}/issues", "POST", json={"title": "x"})
    assert (answer.status_code, answer.json()["message"]) == (404, "Not Found")
    assert answer.headers["X-OAuth-Scopes"] == ""
    assert answer.headers["X-Accepted-OAuth-Scopes"] == "public_repo, repo"
    assert raw(gh, token, f"/repos/{PRIVATE}").headers["X-Accepted-OAuth-Scopes"] == "repo"
    assert gh.issues(PUBLIC) == []


def test_public_repo_writes_public_repositories_only(gh: GitHubEmulator) -> None:
    client = pygithub(gh, classic(gh, "alice", "public_repo"))
    assert client.get_repo(PUBLIC).create_issue("ok").number == 1
    with pytest.raises(UnknownObjectException):
        client.get_repo(PRIVATE)


def test_repo_includes_public_repo_and_private_access(gh: GitHubEmulator) -> None:
    client = pygithub(gh, classic(gh, "alice", "repo"))
    assert client.get_repo(PRIVATE).create_issue("ok").number == 1
    assert client.get_repo(PUBLIC).create_issue("ok").number == 1
    assert client.oauth_scopes == ["repo"]


def test_a_scope_grants_nothing_its_user_lacks(gh: GitHubEmulator) -> None:
    client = pygithub(gh, classic(gh, "mallory", "repo", "admin:org"))
    with pytest.raises(UnknownObjectException):
        client.get_repo(PRIVATE)
    with pytest.raises(UnknownObjectException):
        client.get_organization("acme").get_team_by_slug("approvers").get_members()[0]


# ----------------------------------------------------------------------------------- teams


def team_members(emu: GitHubEmulator, token: str, slug: str = "approvers") -> list[str]:
    team = pygithub(emu, token).get_organization("acme").get_team_by_slug(slug)
    return [m.login for m in team.get_members()]


def test_team_members_paginated(gh: GitHubEmulator) -> None:
    gh.add_user("alice", token="ghp_alice")
    for i in range(40):
        gh.add_team_member("acme", "approvers", f"user{i:02d}")
    gh.add_team_member("acme", "approvers", "lead", role="maintainer")
    client = pygithub(gh, "ghp_alice")
    team = client.get_organization("acme").get_team_by_slug("approvers")

    members = [m.login for m in team.get_members()]

    assert team.name == "Approvers" and team.members_count == 43
    assert members[:2] == ["alice", "bob"] and len(members) == 43
    assert [m.login for m in team.get_members(role="maintainer")] == ["lead"]
    assert team.has_in_members(client.get_user("alice")) is True
    page = raw(gh, "ghp_alice", "/orgs/acme/teams/approvers/members", params={"per_page": 10})
    assert 'rel="last"' in page.headers["Link"] and len(page.json()) == 10


def test_unknown_team_is_404_and_memberships(gh: GitHubEmulator) -> None:
    gh.add_user("alice", token="ghp_alice")
    with pytest.raises(UnknownObjectException):
        pygithub(gh, "ghp_alice").get_organization("acme").get_team_by_slug("nope").name  # noqa: B018
    assert raw(gh, "ghp_alice", "/orgs/acme/teams/nope").status_code == 404
    membership = raw(gh, "ghp_alice", "/orgs/acme/teams/approvers/memberships/alice").json()
    assert (membership["role"], membership["state"]) == ("member", "active")
    assert raw(gh, "ghp_alice", "/orgs/acme/teams/approvers/memberships/mallory").status_code == 404


@pytest.mark.parametrize(
    ("login", "scopes", "slug", "members"),
    [
        ("alice", ("read:org",), "approvers", ["alice", "bob"]),
        ("alice", ("write:org",), "approvers", ["alice", "bob"]),  # includes read:org
        ("alice", ("admin:org", "repo"), "approvers", ["alice", "bob"]),
        ("alice", ("repo",), "approvers", None),  # no read:org
        ("mallory", ("read:org",), "approvers", None),  # not a member of acme
        ("alice", ("read:org",), "security", None),  # a secret team she is not in
        ("bob", ("read:org",), "security", ["bob"]),
    ],
)
def test_teams_need_read_org_and_membership(
    gh: GitHubEmulator, login: str, scopes: tuple[str, ...], slug: str, members: list[str] | None
) -> None:
    token = classic(gh, login, *scopes)
    if members is not None:
        assert team_members(gh, token, slug) == members
        return
    with pytest.raises(UnknownObjectException) as refused:
        team_members(gh, token, slug)
    assert refused.value.status == 404


def test_a_team_refusal_names_the_scopes_it_accepts(gh: GitHubEmulator) -> None:
    answer = raw(gh, classic(gh, "alice", "repo"), "/orgs/acme/teams/approvers/members")
    assert answer.status_code == 404
    assert answer.headers["X-OAuth-Scopes"] == "repo"
    assert answer.headers["X-Accepted-OAuth-Scopes"] == "admin:org, read:org, write:org"


def test_team_lists_show_what_the_caller_may_see(gh: GitHubEmulator) -> None:
    def slugs(token: str) -> list[str]:
        return [t.slug for t in pygithub(gh, token).get_organization("acme").get_teams()]

    assert slugs(classic(gh, "alice", "read:org")) == ["approvers"]
    assert slugs(classic(gh, "bob", "read:org")) == ["approvers", "security"]
    with pytest.raises(UnknownObjectException):
        slugs(classic(gh, "mallory", "read:org"))


def test_a_github_token_cannot_read_teams(gh: GitHubEmulator) -> None:
    token = github_token(gh, issues="write", contents="write", actions="write")
    with pytest.raises(GithubException) as refused:
        team_members(gh, token)
    assert (refused.value.status, refused.value.data["message"]) == (403, INTEGRATION)
    answer = raw(gh, token, "/orgs/acme/teams/approvers/members")
    assert answer.headers["X-Accepted-GitHub-Permissions"] == "members=read"
    assert "X-OAuth-Scopes" not in answer.headers


def test_an_app_with_members_read_sees_the_teams_of_its_organization(gh: GitHubEmulator) -> None:
    gh.add_installation_token("ghs_app", [PRIVATE], {"members": "read"}, login="deployer[bot]")
    assert team_members(gh, "ghs_app", "security") == ["bob"]
    gh.add_team("other-org", "ops", members=["carol"])
    with pytest.raises(UnknownObjectException):
        pygithub(gh, "ghs_app").get_organization("other-org").get_team_by_slug("ops").name  # noqa: B018


# -------------------------------------------------------------------- installation tokens


def test_a_github_token_is_not_a_user(gh: GitHubEmulator) -> None:
    with pytest.raises(GithubException) as refused:
        pygithub(gh, github_token(gh, issues="write")).get_user().login  # noqa: B018
    assert (refused.value.status, refused.value.data["message"]) == (403, INTEGRATION)


def test_issues_read_lists_but_cannot_open(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, github_token(gh, issues="read")).get_repo(PRIVATE)  # metadata: always
    assert repo.get_issues().totalCount == 0
    with pytest.raises(GithubException) as refused:
        repo.create_issue("deploy v1?")
    assert (refused.value.status, refused.value.data["message"]) == (403, INTEGRATION)
    assert refused.value.headers["x-accepted-github-permissions"] == "issues=write"
    assert gh.issues(PRIVATE) == []


def test_issues_write_opens_as_the_bot(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, github_token(gh, issues="write")).get_repo(PRIVATE)
    issue = repo.create_issue("deploy v1?", labels=["deploy"])
    assert (issue.user.login, issue.user.type) == ("github-actions[bot]", "Bot")
    assert [label.name for label in issue.labels] == ["deploy"]  # it writes: labels kept
    issue.edit(state="closed")
    assert gh.issue(PRIVATE, issue.number)["state"] == "closed"


@pytest.mark.parametrize(
    ("permissions", "allowed"),
    [({}, False), ({"pull-requests": "read"}, True), ({"contents": "read"}, True)],
)
def test_pull_request_files_need_pull_requests_or_contents(
    gh: GitHubEmulator, permissions: dict[str, str], allowed: bool
) -> None:
    gh.add_installation_token("ghs_lint", PRIVATE, permissions)
    requester = pygithub(gh, "ghs_lint").requester  # PyGithub's own request path
    path = f"/repos/{PRIVATE}/pulls/7/files"
    if allowed:
        headers, files = requester.requestJsonAndCheck("GET", path)
        assert [f["filename"] for f in files] == ["app.py"]
    else:
        with pytest.raises(GithubException) as refused:
            requester.requestJsonAndCheck("GET", path)
        assert (refused.value.status, refused.value.data["message"]) == (403, INTEGRATION)
        headers = refused.value.headers or {}
    assert headers["x-accepted-github-permissions"] == "pull_requests=read; contents=read"


def test_dispatch_needs_actions_write(gh: GitHubEmulator) -> None:
    workflow = (
        pygithub(gh, github_token(gh, actions="read")).get_repo(PRIVATE).get_workflow("deploy.yml")
    )
    with pytest.raises(GithubException) as refused:
        workflow.create_dispatch("main", throw=True)
    assert refused.value.headers["x-accepted-github-permissions"] == "actions=write"
    gh.add_installation_token("ghs_ops", PRIVATE, {"actions": "write"})
    pygithub(gh, "ghs_ops").get_repo(PRIVATE).get_workflow("deploy.yml").create_dispatch(
        "main", throw=True
    )
    assert len(gh.dispatches(PRIVATE)) == 1


def test_releases_need_contents_write(gh: GitHubEmulator) -> None:
    repo = pygithub(gh, github_token(gh, contents="read")).get_repo(PRIVATE)
    assert repo.get_tags().totalCount == 0
    with pytest.raises(GithubException) as refused:
        repo.create_git_release("v1.0.0", "v1.0.0", "notes")
    assert refused.value.headers["x-accepted-github-permissions"] == "contents=write"


def test_a_github_token_reaches_its_own_repository_only(gh: GitHubEmulator) -> None:
    gh.add_repo("acme/other", private=True)
    client = pygithub(gh, github_token(gh, issues="write", contents="write"))
    with pytest.raises(UnknownObjectException):
        client.get_repo("acme/other")
    public = client.get_repo(PUBLIC)  # public data: readable
    assert public.get_issues().totalCount == 0
    with pytest.raises(GithubException) as refused:
        public.create_issue("not ours")
    assert (refused.value.status, refused.value.data["message"]) == (403, INTEGRATION)


def test_graphql_refuses_as_github_does(gh: GitHubEmulator) -> None:
    gh.create_issue(PRIVATE, "deploy", user="alice")
    query = {"query": '{ repository(owner: "acme", name: "app") { issue(number: 1) { title } } }'}
    refused = raw(gh, github_token(gh, contents="read"), "/graphql", "POST", json=query).json()
    assert [(e["type"], e["message"]) for e in refused["errors"]] == [("FORBIDDEN", INTEGRATION)]
    hidden = raw(gh, classic(gh, "alice"), "/graphql", "POST", json=query).json()
    assert [e["type"] for e in hidden["errors"]] == ["NOT_FOUND"]
    gh.add_installation_token("ghs_reader", PRIVATE, {"issues": "read"})
    seen = raw(gh, "ghs_reader", "/graphql", "POST", json=query).json()
    assert seen["data"]["repository"]["issue"]["title"] == "deploy"


def test_graphql_spells_an_apps_bot_without_the_suffix(gh: GitHubEmulator) -> None:
    """REST says ``github-actions[bot]``; GraphQL's ``Bot`` says ``github-actions``."""
    token = github_token(gh, issues="write")
    issue = pygithub(gh, token).get_repo(PRIVATE).create_issue("deploy v1?")
    assert issue.user.login == "github-actions[bot]"
    query = """query { viewer { login }
      repository(owner: "acme", name: "app") { issue(number: 1) {
        author { __typename login url } } } }"""
    _headers, data = pygithub(gh, token).requester.graphql_query(query, {})
    author = data["data"]["repository"]["issue"]["author"]
    assert (author["__typename"], author["login"]) == ("Bot", "github-actions")
    assert author["url"].endswith("/apps/github-actions")
    assert data["data"]["viewer"]["login"] == "github-actions[bot]"  # itself: as REST says


def test_restricted_tokens_from_a_seed(github_emulator: GitHubEmulator) -> None:
    github_emulator.seed(
        {
            "repos": [{"full_name": PRIVATE, "private": True, "collaborators": ["ci"]}],
            "tokens": {"ghp_ci": {"login": "ci", "scopes": ["public_repo"]}},
            "installation_tokens": [
                {
                    "token": "ghs_seeded",
                    "repositories": [PRIVATE],
                    "permissions": {"issues": "read"},
                }
            ],
        }
    )
    assert github_emulator.grant("ghp_ci") == {"kind": "classic", "scopes": ["public_repo"]}
    with pytest.raises(UnknownObjectException):
        pygithub(github_emulator, "ghp_ci").get_repo(PRIVATE)
    assert github_emulator.grant("ghs_seeded")["permissions"] == {
        "issues": "read",
        "metadata": "read",
    }


# ------------------------------------------------------------------------------ rate limits


def test_each_token_has_its_own_bucket(gh: GitHubEmulator) -> None:
    alice, bob = pygithub(gh, classic(gh, "alice", "repo")), pygithub(gh, classic(gh, "bob"))
    for _ in range(3):
        alice.get_repo(PUBLIC)
    bob.get_repo(PUBLIC)
    assert alice.rate_limiting == (4997, 5000)
    assert bob.rate_limiting == (4999, 5000)
    assert bob.get_rate_limit().resources.core.used == 1  # /rate_limit: the caller's own, free
    assert gh.rate_limit("ghp_alice_repo")["used"] == 3
    assert gh.rate_limit()["limit"] == 60  # anonymous callers share one bucket of 60
    assert raw(gh, None, "/users/alice").headers["X-RateLimit-Limit"] == "60"


def test_one_exhausted_token_leaves_the_others_alone(gh: GitHubEmulator) -> None:
    alice, bob = classic(gh, "alice", "repo"), classic(gh, "bob", "repo")
    gh.set_rate_limit(token=alice, remaining=0, reset_in=3600)
    with pytest.raises(RateLimitExceededException) as caught:
        pygithub(gh, alice).get_repo(PUBLIC)
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert "for user ID" in caught.value.data["message"]
    assert pygithub(gh, bob).get_repo(PUBLIC).name == "site"


def test_a_github_token_has_1000_an_hour_for_its_installation(gh: GitHubEmulator) -> None:
    token = github_token(gh, issues="read")
    answer = raw(gh, token, f"/repos/{PRIVATE}/issues")
    assert answer.headers["X-RateLimit-Limit"] == "1000"
    gh.set_rate_limit(token=token, remaining=0, reset_in=3600)
    with pytest.raises(RateLimitExceededException) as caught:
        pygithub(gh, token).get_repo(PRIVATE)
    assert "API rate limit exceeded for installation ID" in caught.value.data["message"]


def test_graphql_and_search_have_their_own_buckets(gh: GitHubEmulator) -> None:
    token = classic(gh, "alice", "repo")
    query = {"query": "{ viewer { login } }"}
    answer = raw(gh, token, "/graphql", "POST", json=query)
    assert answer.headers["X-RateLimit-Resource"] == "graphql"
    assert answer.headers["X-RateLimit-Used"] == "1"
    resources = pygithub(gh, token).get_rate_limit().resources
    assert (resources.core.used, resources.graphql.used) == (0, 1)
    assert (resources.search.limit, resources.graphql.limit) == (30, 5000)

    gh.set_rate_limit(token=token, resource="graphql", remaining=0, reset_in=3600)
    assert raw(gh, token, "/graphql", "POST", json=query).status_code == 403
    assert raw(gh, token, f"/repos/{PUBLIC}").status_code == 200  # core is not graphql
