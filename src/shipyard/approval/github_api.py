"""The approval action's one adapter to GitHub: PyGithub, with retries and waits we control.

PyGithub runs with ``retry=None`` and no client-side throttle; :meth:`GitHubApi._call` retries
instead, so that every wait is logged in plain words, measured on an injectable clock and
bounded by the action's deadline:

* primary rate limit (403/429 with ``X-RateLimit-Remaining: 0``): wait until
  ``X-RateLimit-Reset``;
* secondary rate limit (403/429 with ``Retry-After`` or GitHub's message): wait as asked
  (60 s, doubling, when it does not say);
* 5xx answers, dropped connections, timeouts: back off and retry a few times, then exit 3.

Reads the waiting loop repeats are conditional (``If-None-Match`` with the last ETag): an
unchanged answer is a 304, which GitHub does not count against the rate limit.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

import requests
from github import Auth, Github, GithubException

from shipyard.runtime import ConfigError, ExternalError, InputError, ShipyardError
from shipyard.runtime.http import USER_AGENT, parse_retry_after

from .decision import Comment
from .trust import RunActors, TextHistory

T = TypeVar("T")
PER_PAGE = 100
SECONDARY_DEFAULT_WAIT = 60.0


class Clock(Protocol):
    """Wall-clock time and sleeping; tests pass a fake one."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class DeadlineReached(Exception):
    """Waiting for GitHub (a rate limit) would go past the deadline; the time is up."""


@dataclass(frozen=True)
class IssueData:
    """The fields of an issue the action uses."""

    number: int
    title: str
    state: str
    body: str
    comments: int
    html_url: str
    author: str
    created_at: str
    updated_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IssueData:
        user = data.get("user") or {}
        return cls(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            state=str(data.get("state") or "open"),
            body=str(data.get("body") or ""),
            comments=int(data.get("comments") or 0),
            html_url=str(data.get("html_url") or ""),
            author=str(user.get("login") or "") if isinstance(user, dict) else "",
            created_at=str(data.get("created_at") or ""),
            updated_at=str(data.get("updated_at") or ""),
        )


def comment_from_json(data: Mapping[str, Any]) -> Comment:
    user = data.get("user") or {}
    return Comment(
        id=int(data["id"]),
        author=str(user.get("login") or "") if isinstance(user, dict) else "",
        body=str(data.get("body") or ""),
        created_at=str(data.get("created_at") or ""),
        updated_at=str(data.get("updated_at") or ""),
        url=str(data.get("html_url") or ""),
        node_id=str(data.get("node_id") or ""),
    )


def _login(actor: Any) -> str:
    return str(actor.get("login") or "") if isinstance(actor, dict) else ""


ISSUE_HISTORY = """
query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      author { login }
      lastEditedAt
      editor { login }
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
    edits = data.get("userContentEdits") or {}
    nodes = [n for n in edits.get("nodes") or [] if isinstance(n, dict)]
    return TextHistory(
        author=_login(data.get("author")),
        last_edited_at=str(data.get("lastEditedAt") or ""),
        editor=_login(data.get("editor")),
        includes_created_edit=bool(data.get("includesCreatedEdit")),
        total=int(edits.get("totalCount") or 0),
        revisions=tuple(n["diff"] if isinstance(n.get("diff"), str) else None for n in nodes),
    )


@dataclass
class ApiStats:
    requests: int = 0
    not_modified: int = 0
    waits: list[str] = field(default_factory=list)


def _headers(exc: GithubException) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return exc.message or ""


def _clock_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M:%S UTC")


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def describe_failure(exc: GithubException, what: str, repository: str = "") -> ShipyardError:
    """A GitHub error answer as the action's error: 401 -> bad token, 403/404/422 -> what to
    fix, anything else -> external failure. ``what`` is the operation, unless the error
    carries the one :meth:`GitHubApi._call` was doing."""
    message = _message(exc)
    what = str(getattr(exc, "operation", "") or what)
    where = f" in {repository}" if repository else ""
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


class GitHubApi:
    """The GitHub operations of the approval action, on PyGithub."""

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        clock: Clock | None = None,
        log: Callable[[str], None] | None = None,
        timeout: float = 30.0,
        attempts: int = 5,
        max_backoff: float = 30.0,
        deadline: float | None = None,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.clock: Clock = clock or SystemClock()
        self.log = log or (lambda _message: None)
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.max_backoff = max_backoff
        self.deadline = deadline
        self.stats = ApiStats()
        self.client = Github(
            base_url=self.api_url,
            auth=Auth.Token(token),
            timeout=max(1, int(timeout)),
            user_agent=USER_AGENT,
            per_page=PER_PAGE,
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
            lazy=True,
        )
        self._cache: dict[str, tuple[str, Any]] = {}

    def bounded(self, *, max_wait: float, attempts: int = 2, timeout: float = 10.0) -> GitHubApi:
        """A fresh client for last words (closing the issue on timeout or cancellation):
        few attempts, short timeouts, and no wait longer than ``max_wait`` in all."""
        return GitHubApi(
            self.token,
            self.api_url,
            clock=self.clock,
            log=self.log,
            timeout=timeout,
            attempts=attempts,
            max_backoff=2.0,
            deadline=self.clock.time() + max_wait,
        )

    def close(self) -> None:
        self.client.close()

    # -- retries ----------------------------------------------------------------------------
    def _wait(self, seconds: float, reason: str) -> None:
        seconds = max(0.0, seconds)
        now = self.clock.time()
        if self.deadline is not None and now + seconds > self.deadline:
            left = max(0.0, self.deadline - now)
            self.log(f"{reason}; that is past the time left ({_seconds(left)}), so giving up.")
            self.stats.waits.append(reason)
            self.clock.sleep(left)
            raise DeadlineReached(reason)
        self.log(f"{reason}; waiting {_seconds(seconds)}.")
        self.stats.waits.append(reason)
        self.clock.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        base = min(self.max_backoff, 2.0 ** (attempt - 1))
        return base * (1 + random.uniform(-0.2, 0.2))  # noqa: S311

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        """Run one API operation with the retries described in the module docstring."""
        failures = 0
        secondary = 0
        while True:
            try:
                self.stats.requests += 1
                return operation()
            except GithubException as exc:
                headers = _headers(exc)
                message = _message(exc)
                lowered = message.lower()
                if exc.status in (403, 429) and headers.get("x-ratelimit-remaining") == "0":
                    try:
                        reset = float(headers.get("x-ratelimit-reset") or 0)
                    except ValueError:
                        reset = 0.0
                    if reset <= 0:  # no reset time given: try again in a minute
                        reset = self.clock.time() + SECONDARY_DEFAULT_WAIT
                    wait = max(1.0, reset - self.clock.time() + 1.0)
                    used = headers.get("x-ratelimit-used") or headers.get("x-ratelimit-limit")
                    self._wait(
                        wait,
                        f"GitHub's API rate limit is used up ({used} requests this hour) while "
                        f"trying to {what}; it resets at {_clock_text(reset)}",
                    )
                    continue
                if exc.status in (403, 429) and (
                    "retry-after" in headers or "secondary rate limit" in lowered
                ):
                    secondary += 1
                    if secondary > self.attempts:
                        raise ExternalError(
                            f"GitHub kept answering with its secondary rate limit while trying "
                            f"to {what} ({secondary} times).",
                            hint="Run the job again later.",
                        ) from None
                    asked = parse_retry_after(headers.get("retry-after"))
                    wait = (
                        asked
                        if asked is not None
                        else SECONDARY_DEFAULT_WAIT * 2 ** (secondary - 1)
                    )
                    said = "as its Retry-After header asks" if asked is not None else "a minute"
                    self._wait(
                        wait,
                        f"GitHub's secondary rate limit stopped a request to {what} "
                        f"(HTTP {exc.status}); waiting {said}",
                    )
                    continue
                if exc.status < 500:
                    exc.operation = what  # type: ignore[attr-defined]  # for describe_failure
                    raise
                problem = f"GitHub answered HTTP {exc.status}"
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"could not reach GitHub ({type(exc).__name__})"
            failures += 1
            if failures >= self.attempts:
                raise ExternalError(
                    f"Could not {what}: {problem} after {failures} attempts.",
                    hint="Check that GitHub (GITHUB_API_URL) is reachable from the runner, "
                    "then run the job again.",
                )
            self._wait(
                self._backoff(failures),
                f"{problem} while trying to {what}; retrying (attempt {failures + 1} of "
                f"{self.attempts})",
            )

    # -- raw requests -----------------------------------------------------------------------
    def _request(
        self,
        verb: str,
        path: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        body: Any = None,
        etag: str | None = None,
    ) -> tuple[int, dict[str, Any], Any]:
        requester = self.client.requester
        headers = {"If-None-Match": etag} if etag else {}
        status, response_headers, text = requester.requestJson(
            verb, path, dict(parameters or {}), headers, body
        )
        data = None
        if text:
            try:
                data = json.loads(text)
            except ValueError:
                data = {"message": text[:200]}
        if status >= 400:
            raise requester.createException(
                status, response_headers, data if isinstance(data, dict) else {}
            )
        return status, response_headers, data

    def _get(self, path: str, parameters: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, parameters=parameters)[2]

    def get_conditional(
        self, path: str, parameters: Mapping[str, Any] | None = None
    ) -> tuple[bool, Any]:
        """GET with If-None-Match from the last answer: ``(changed, data)``. A 304 costs no
        rate limit and returns the data remembered from the last 200."""
        key = path + "?" + urllib.parse.urlencode(sorted((parameters or {}).items()))
        cached = self._cache.get(key)
        status, headers, data = self._request(
            "GET", path, parameters=parameters, etag=cached[0] if cached else None
        )
        if status == 304 and cached is not None:
            self.stats.not_modified += 1
            return False, cached[1]
        if status != 200:
            raise ExternalError(f"GitHub answered HTTP {status} to GET {path}.")
        etag = str(headers.get("etag") or "")
        if etag:
            self._cache[key] = (etag, data)
        return True, data

    # -- people -----------------------------------------------------------------------------
    def user_login(self, login: str) -> str | None:
        """The login as GitHub spells it, or None when there is no such user."""

        def fetch() -> str | None:
            try:
                data = self._get(f"/users/{urllib.parse.quote(login, safe='')}")
            except GithubException as exc:
                if exc.status == 404:
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
                if exc.status in (403, 404):
                    return None
                raise

        return self._call(f"list the members of team {org}/{slug}", fetch)

    # -- repository -------------------------------------------------------------------------
    def default_branch(self, repository: str) -> str:
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
                if exc.status in (403, 404):
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
                if exc.status in (403, 404):
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
        issue = self.client.get_repo(repository).get_issue(number)
        return self._call(f"comment on issue #{number}", lambda: issue.create_comment(body).id)

    def close_issue(self, repository: str, number: int, reason: str) -> None:
        """Close as ``completed`` or ``not_planned``."""
        issue = self.client.get_repo(repository).get_issue(number)
        self._call(
            f"close issue #{number}", lambda: issue.edit(state="closed", state_reason=reason)
        )

    # -- workflows --------------------------------------------------------------------------
    def dispatch(self, repository: str, workflow: str, ref: str, inputs: Mapping[str, str]) -> None:
        """Start ``workflow`` on ``ref`` with workflow_dispatch (raises on any refusal)."""
        flow = self.client.get_repo(repository).get_workflow(workflow)
        self._call(
            f"start the workflow {workflow} on {ref}",
            lambda: flow.create_dispatch(ref, dict(inputs), throw=True),
        )
