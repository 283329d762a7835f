"""The approval action's one adapter to GitHub: PyGithub through the runtime's client.

Every call goes through :func:`shipyard.runtime.github.call_github` (rate limits, 5xx and
dropped connections, waits measured on the runtime's :class:`Clock` and bounded by a
deadline). A refusal (4xx) becomes :class:`Refused`, carrying what was being done, for
:func:`describe_failure`.

Reads the waiting loop repeats are conditional (``If-None-Match`` with the last ETag): an
unchanged answer is a 304, which GitHub does not count against the rate limit. Edits of the
issue body and of comments are read through GraphQL (``lastEditedAt``, ``userContentEdits``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from github import Github, GithubException

from shipyard.runtime import ConfigError, ExternalError, InputError, ShipyardError
from shipyard.runtime.github import (
    PER_PAGE,
    ConditionalGets,
    call_github,
    github_client,
    github_request,
    is_primary_rate_limit,
    is_secondary_rate_limit,
)
from shipyard.runtime.retry import Clock, RetryPolicy

from .decision import Comment, IssueData
from .trust import RunActors, TextHistory

T = TypeVar("T")
POLICY = RetryPolicy(attempts=5, base_delay=1.0, max_delay=30.0, jitter=0.2)


class Refused(Exception):
    """GitHub refused a request (4xx): what was being done, the status and GitHub's message."""

    def __init__(self, status: int, message: str, what: str, data: object = None) -> None:
        super().__init__(f"{what}: HTTP {status} {message}")
        self.status = status
        self.message = message
        self.what = what
        self.data = data


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return exc.message or ""


def _absent(exc: GithubException, *statuses: int) -> bool:
    """A 'not there' answer (e.g. 404), not a rate limit dressed as a 403."""
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    limited = is_primary_rate_limit(exc.status, headers) or is_secondary_rate_limit(
        exc.status, headers, _message(exc)
    )
    return exc.status in statuses and not limited


def describe_failure(exc: Refused, repository: str = "") -> ShipyardError:
    """A refusal as the action's error: 401 -> bad token, 403/404/422 -> what to fix."""
    message, what = exc.message, exc.what
    where = f" in {repository}" if repository and f" {repository}" not in what else ""
    if exc.status == 401:
        return InputError(
            "token",
            f"GitHub rejected the token while trying to {what} (401 {message}).",
            hint="Pass a valid token; the job's GITHUB_TOKEN is the default.",
        )
    if exc.status == 403:
        return ConfigError(
            f"GitHub refused to {what}{where} (403 {message}).",
            hint="Give the job `permissions: issues: write` (and `actions: write` for "
            "on-approved), or pass a token that has them.",
        )
    if exc.status == 404:
        return ConfigError(
            f"Could not {what}{where}: not found (404), or the token cannot see it.",
            hint="Check the repository name and that the token has access to it.",
        )
    if exc.status == 422:
        return ConfigError(f"GitHub did not accept the request to {what}{where}: {message}.")
    return ExternalError(f"GitHub failed to {what}{where}: HTTP {exc.status} {message}.")


def _login(actor: Any) -> str:
    return str(actor.get("login") or "") if isinstance(actor, dict) else ""


def _graphql_login(actor: Any) -> str:
    """A GraphQL actor's login as REST spells it: GraphQL names a GitHub App's bot
    ``github-actions`` where REST (and trust's check of an app author) says
    ``github-actions[bot]``."""
    login = _login(actor)
    if login and isinstance(actor, dict) and actor.get("__typename") == "Bot":
        return login if login.endswith("[bot]") else f"{login}[bot]"
    return login


def comment_from_json(data: Mapping[str, Any]) -> Comment:
    """A comment from the REST API's JSON."""
    return Comment(
        id=int(data["id"]),
        author=_login(data.get("user")),
        body=str(data.get("body") or ""),
        created_at=str(data.get("created_at") or ""),
        updated_at=str(data.get("updated_at") or ""),
        url=str(data.get("html_url") or ""),
        node_id=str(data.get("node_id") or ""),
    )


ISSUE_HISTORY = """
query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      author { __typename login }
      lastEditedAt
      editor { __typename login }
      includesCreatedEdit
      userContentEdits(first: 100) { totalCount nodes { diff editedAt editor { login } } }
    }
  }
}
"""

COMMENT_EDITS = """
query($ids: [ID!]!) {
  nodes(ids: $ids) { ... on IssueComment { id lastEditedAt editor { login } } }
}
"""
GRAPHQL_BATCH = 100


def history_from_json(data: Mapping[str, Any]) -> TextHistory:
    """An issue's edit history from the GraphQL answer (``userContentEdits``)."""
    edits = data.get("userContentEdits") or {}
    nodes = [n for n in edits.get("nodes") or [] if isinstance(n, dict)]
    return TextHistory(
        author=_graphql_login(data.get("author")),
        last_edited_at=str(data.get("lastEditedAt") or ""),
        editor=_graphql_login(data.get("editor")),
        includes_created_edit=bool(data.get("includesCreatedEdit")),
        total=int(edits.get("totalCount") or 0),
        revisions=tuple(n["diff"] if isinstance(n.get("diff"), str) else None for n in nodes),
    )


class GitHubApi:
    """The GitHub operations of the approval action, on PyGithub."""

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        clock: Clock,
        epoch: Callable[[], float],
        log: Callable[[str], None],
        timeout: float = 30.0,
        policy: RetryPolicy = POLICY,
        deadline: float | None = None,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.clock = clock
        self.epoch = epoch
        self.log = log
        self.policy = policy
        self.deadline = deadline
        self.client: Github = github_client(token, api_url=self.api_url, timeout=timeout)
        self._conditional = ConditionalGets()

    def bounded(self, *, max_wait: float, attempts: int = 2, timeout: float = 10.0) -> GitHubApi:
        """A fresh client for last words (closing the issue on timeout or cancellation):
        few attempts, short timeouts, and no wait longer than ``max_wait`` in all."""
        return GitHubApi(
            self.token,
            self.api_url,
            clock=self.clock,
            epoch=self.epoch,
            log=self.log,
            timeout=timeout,
            policy=RetryPolicy(attempts=attempts, base_delay=1.0, max_delay=2.0, jitter=0.2),
            deadline=self.clock.now() + max_wait,
        )

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        """One operation with the runtime's GitHub retries; a 4xx becomes :class:`Refused`."""
        try:
            return call_github(
                operation,
                clock=self.clock,
                policy=self.policy,
                log=self.log,
                deadline=self.deadline,
                what=what,
                epoch=self.epoch,
            )
        except GithubException as exc:
            raise Refused(exc.status, _message(exc), what, exc.data) from None

    # -- raw requests -----------------------------------------------------------------------
    def _get(self, path: str, parameters: Mapping[str, Any] | None = None) -> Any:
        return github_request(self.client, "GET", path, parameters=parameters)[2]

    def get_conditional(
        self, path: str, parameters: Mapping[str, Any] | None = None
    ) -> tuple[bool, Any]:
        """GET with If-None-Match from the last answer: ``(changed, data)``; a 304 is free."""
        return self._conditional.get(self.client, path, parameters)

    # -- people -----------------------------------------------------------------------------
    def user_login(self, login: str) -> str | None:
        """The login as GitHub spells it, or None when there is no such user."""

        def fetch() -> str | None:
            try:
                data = self._get(f"/users/{urllib.parse.quote(login, safe='')}")
            except GithubException as exc:
                if _absent(exc, 404):
                    return None
                raise
            return str(data.get("login") or login) if isinstance(data, dict) else login

        return self._call(f"look up the user {login}", fetch)

    def team_members(self, org: str, slug: str) -> list[str] | None:
        """Every member of ``org/slug`` (all pages), or None when the team is not visible."""

        def fetch() -> list[str] | None:
            team = self.client.get_organization(org).get_team_by_slug(slug)
            try:
                return [member.login for member in team.get_members()]
            except GithubException as exc:
                if _absent(exc, 403, 404):
                    return None
                raise

        return self._call(f"list the members of team {org}/{slug}", fetch)

    # -- repository -------------------------------------------------------------------------
    def default_branch(self, repository: str) -> str:
        """The repository's default branch (``main`` when GitHub does not say)."""
        data = self._call(
            f"read the repository {repository}", lambda: self._get(f"/repos/{repository}")
        )
        return str(data.get("default_branch") or "main") if isinstance(data, dict) else "main"

    def tags(self, repository: str) -> list[tuple[str, str]]:
        """The newest 100 tags as (name, sha)."""
        data = self._call(
            f"list the tags of {repository}",
            lambda: self._get(f"/repos/{repository}/tags", {"per_page": PER_PAGE}),
        )
        out = []
        for item in data if isinstance(data, list) else []:
            commit = item.get("commit") or {}
            out.append((str(item.get("name") or ""), str(commit.get("sha") or "")))
        return out

    def compare(self, repository: str, base: str, head: str) -> tuple[int, list[str], str]:
        """(commits ahead, titles of the first ten, web link) of ``base...head``."""
        path = f"/repos/{repository}/compare/{urllib.parse.quote(base, safe='')}...{head}"
        data = self._call(
            f"compare {base} with {head[:7]}", lambda: self._get(path, {"per_page": 10})
        )
        if not isinstance(data, dict):
            return 0, [], ""
        titles = []
        for commit in data.get("commits") or []:
            message = str((commit.get("commit") or {}).get("message") or "")
            titles.append(message.splitlines()[0] if message else "")
        return int(data.get("ahead_by") or 0), titles[:10], str(data.get("html_url") or "")

    # -- who is who ---------------------------------------------------------------------------
    def whoami(self) -> str | None:
        """The token's own login; None when the token cannot say (GITHUB_TOKEN and GitHub
        App installation tokens are refused GET /user)."""

        def fetch() -> str | None:
            try:
                data = self._get("/user")
            except GithubException as exc:
                if _absent(exc, 403, 404):
                    return None
                raise
            return str(data.get("login") or "") or None if isinstance(data, dict) else None

        return self._call("find out whose token this is", fetch)

    def workflow_run(self, repository: str, run_id: str) -> RunActors | None:
        """Who started workflow run ``run_id`` (None when it cannot be read)."""

        def fetch() -> RunActors | None:
            try:
                data = self._get(f"/repos/{repository}/actions/runs/{int(run_id)}")
            except GithubException as exc:
                if _absent(exc, 403, 404):
                    return None
                raise
            if not isinstance(data, dict):
                return None
            actor = _login(data.get("actor"))
            return RunActors(actor, _login(data.get("triggering_actor")) or actor)

        if not run_id.isdigit():
            return None
        return self._call(f"read workflow run {run_id} of {repository}", fetch)

    def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        _headers, data = self.client.requester.graphql_query(query, variables)
        answer = data.get("data") if isinstance(data, dict) else None
        return answer if isinstance(answer, dict) else {}

    def issue_history(self, repository: str, number: int) -> TextHistory:
        """Who opened the issue and GitHub's record of edits to its body."""
        owner, _, name = repository.partition("/")
        variables: dict[str, Any] = {"owner": owner, "name": name, "number": number}
        data = self._call(
            f"read the edit history of issue #{number}",
            lambda: self._graphql(ISSUE_HISTORY, variables),
        )
        issue = (data.get("repository") or {}).get("issue") or {}
        return history_from_json(issue)

    def with_edits(self, comments: Sequence[Comment]) -> list[Comment]:
        """``comments`` with GitHub's record of who last edited each, and when (GraphQL)."""
        found: dict[str, tuple[str, str]] = {}
        ids = [c.node_id for c in comments if c.node_id]
        for start in range(0, len(ids), GRAPHQL_BATCH):
            batch = ids[start : start + GRAPHQL_BATCH]
            data = self._call(
                "read which comments were edited",
                functools.partial(self._graphql, COMMENT_EDITS, {"ids": batch}),
            )
            for node in data.get("nodes") or []:
                if isinstance(node, dict) and node.get("id"):
                    edited = str(node.get("lastEditedAt") or "")
                    found[str(node["id"])] = (edited, _login(node.get("editor")))
        # a comment GitHub says nothing about (deleted meanwhile, no node id) counts as edited
        unknown = ("unknown", "")
        return [
            dataclasses.replace(
                comment,
                last_edited_at=found.get(comment.node_id, unknown)[0],
                editor=found.get(comment.node_id, unknown)[1],
            )
            for comment in comments
        ]

    # -- issues -----------------------------------------------------------------------------
    def _find_issue_with(self, repository: str, needle: str) -> IssueData | None:
        data = self._get(
            f"/repos/{repository}/issues",
            {"state": "open", "sort": "created", "direction": "desc", "per_page": 30},
        )
        for item in data if isinstance(data, list) else []:
            if needle in str(item.get("body") or ""):
                return IssueData.from_json(item)
        return None

    def find_request(self, repository: str, nonce: str) -> IssueData | None:
        """The open issue whose body carries ``nonce`` (among the 30 newest), if any."""
        return self._call(
            "look for the approval issue", lambda: self._find_issue_with(repository, nonce)
        )

    def create_issue(
        self,
        repository: str,
        *,
        title: str,
        body: str,
        labels: Sequence[str],
        assignees: Sequence[str],
        nonce: str,
    ) -> tuple[IssueData, list[str]]:
        """Open the issue; returns it and the approvers that could not be assigned.

        Creating is not idempotent: when an attempt failed in a way that may have created
        the issue anyway (5xx, dropped connection), the next attempt first looks for an open
        issue carrying this request's ``nonce``."""
        repo = self.client.get_repo(repository)
        tried = False
        unassigned: list[str] = []

        def attempt() -> IssueData:
            nonlocal tried, unassigned
            if tried:
                found = self._find_issue_with(repository, nonce)
                if found is not None:
                    return found
            tried = True
            people = [] if unassigned else list(assignees)
            try:
                issue = repo.create_issue(
                    title=title, body=body, labels=list(labels), assignees=people
                )
            except GithubException as exc:
                if exc.status == 422 and people and "assignee" in json.dumps(exc.data).lower():
                    unassigned = list(assignees)
                    tried = False
                    issue = repo.create_issue(title=title, body=body, labels=list(labels))
                else:
                    raise
            return IssueData.from_json(issue.raw_data)

        return self._call(f"create the approval issue in {repository}", attempt), unassigned

    def read_issue(self, repository: str, number: int) -> tuple[bool, IssueData]:
        """(changed since the last read?, the issue): a conditional GET, so an unchanged issue costs
        no rate limit."""
        changed, data = self._call(
            f"read issue #{number}",
            lambda: self.get_conditional(f"/repos/{repository}/issues/{number}"),
        )
        return changed, IssueData.from_json(data)

    def read_comments(self, repository: str, number: int, count: int) -> list[Comment]:
        """Every comment, page by page (100 a page), each page a conditional request."""
        pages = max(1, -(-count // PER_PAGE))
        path = f"/repos/{repository}/issues/{number}/comments"
        comments: list[Comment] = []
        for page in range(1, pages + 1):
            parameters = {"per_page": PER_PAGE, "page": page}
            _changed, data = self._call(
                f"read the comments of issue #{number} (page {page} of {pages})",
                functools.partial(self.get_conditional, path, parameters),
            )
            comments.extend(comment_from_json(item) for item in data or [])
        return comments

    def comment(self, repository: str, number: int, body: str) -> int:
        """Comment on the issue; returns the comment's id."""

        def post() -> int:
            issue = self.client.get_repo(repository).get_issue(number)
            return int(issue.create_comment(body).id)

        return self._call(f"comment on issue #{number}", post)

    def close_issue(self, repository: str, number: int, reason: str) -> None:
        """Close as ``completed`` or ``not_planned``."""

        def close() -> None:
            issue = self.client.get_repo(repository).get_issue(number)
            issue.edit(state="closed", state_reason=reason)

        self._call(f"close issue #{number}", close)

    # -- workflows --------------------------------------------------------------------------
    def dispatch(self, repository: str, workflow: str, ref: str, inputs: Mapping[str, str]) -> None:
        """Start ``workflow`` on ``ref`` with workflow_dispatch (raises on any refusal)."""

        def start() -> None:
            flow = self.client.get_repo(repository).get_workflow(workflow)
            flow.create_dispatch(ref, dict(inputs), throw=True)

        self._call(f"start the workflow {workflow} on {ref}", start)
