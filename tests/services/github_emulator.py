"""A stateful GitHub REST API emulator, faithful enough for PyGithub and plain requests.

Served at the root (like api.github.com) and under ``/api/v3`` (like GitHub Enterprise
Server); every URL in a response is built from the request's host and prefix, as PyGithub
follows them. What it covers: users, orgs and teams (members, memberships), repos,
collaborators and permissions, issues (create/list/get/update, labels, assignees), issue
comments, labels, tags, branches, commits, compare, pull request files, workflows and
``workflow_dispatch``, workflow runs (``GET .../actions/runs/{id}``), releases (see
``github_releases.py``), and a small GraphQL
API (``POST /graphql``; ``/api/graphql`` on GHES: see ``github_graphql.py``) for issues'
and comments' authors and edit history (``lastEditedAt``, ``editor``,
``userContentEdits``), kept as edits happen.

GitHub behaviour it reproduces: token auth (``token X``/``Bearer X``; 401 Bad credentials),
the primary rate limit (``X-RateLimit-*`` headers, one unit per request, none for a 304 or
``/rate_limit``, 403 "API rate limit exceeded" when exhausted, reset at the reset time),
secondary rate limits on demand, ETag + If-None-Match -> 304, pagination with ``per_page``/
``page`` and a ``Link`` header, 422 "Validation Failed" bodies with ``errors``. Faults
(5xx, dropped connections) can be queued and every request is recorded.

Seed format (``--seed file.json``, ``GitHubEmulator(seed=...)``, ``POST /_emulator/seed``)::

    {"users": ["alice", {"login": "bot", "token": "ghp_bot", "name": "Bot"}],
     "tokens": {"ghp_alice": "alice"},
     "orgs": [{"login": "acme", "members": ["alice"],
               "teams": [{"slug": "approvers", "members": ["alice"], "maintainers": []}]}],
     "repos": [{"full_name": "acme/app", "private": false, "default_branch": "main",
                "collaborators": {"bot": "write"}, "labels": ["deploy"],
                "commits": [{"message": "feat: x", "sha": "...", "author": "alice"}],
                "tags": {"v1.0.0": "main"}, "branches": {"release": "main"},
                "workflows": [{"path": ".github/workflows/deploy.yml", "inputs": {"env": {}}}],
                "issues": [{"title": "t", "user": "alice", "comments": [{"user": "bob",
                            "body": "hi"}]}]}],
     "rate_limit": {"limit": 5000}}

Run it standalone with ``python -m tests.services.github_emulator --port 8086 --seed s.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
from typing import Any

from flask import Response, request

from tests.services.emulator_server import DropMode, Fault
from tests.services.github_api.actions import ActionsApi
from tests.services.github_api.comments import CommentsApi
from tests.services.github_api.commits import CommitsApi
from tests.services.github_api.core import (
    GitHubCore,
    GitHubRequest,
)
from tests.services.github_api.graphql import GraphqlApi
from tests.services.github_api.issues import IssuesApi
from tests.services.github_api.labels import LabelsApi
from tests.services.github_api.pulls import PullsApi
from tests.services.github_api.rate_limit import RateLimitApi
from tests.services.github_api.releases import ReleasesApi
from tests.services.github_api.repos import ReposApi
from tests.services.github_api.seed import SeedApi
from tests.services.github_api.users import UsersApi
from tests.services.github_api.wire import (
    Route,
    json_response,
)

# ------------------------------------------------------------------------------------ state


# -------------------------------------------------------------------------------- emulator


class GitHubEmulator(
    SeedApi,
    CommentsApi,
    IssuesApi,
    LabelsApi,
    ActionsApi,
    ReposApi,
    CommitsApi,
    UsersApi,
    PullsApi,
    ReleasesApi,
    GraphqlApi,
    RateLimitApi,
    GitHubCore,
):
    """Stateful GitHub REST API on ``127.0.0.1:<free port>``, at ``/`` and ``/api/v3``.

    ``seed`` is the baseline :meth:`reset` restores (see the module docstring for its format).
    """

    # -------------------------------------------------------- Python API: act as a person

    # ------------------------------------------------------ Python API: faults and limits

    def fail_next(
        self,
        n: int = 1,
        status: int = 502,
        *,
        path: str | None = None,
        method: str | None = None,
        retry_after: int | None = None,
        body: str | None = None,
    ) -> None:
        """Answer the next ``n`` requests matching ``path`` (glob, prefix-free) with ``status``."""
        with self._lock:
            self._faults.add(
                Fault(n, "status", status, retry_after, self._pattern(path), method, body)
            )

    def drop_next(
        self,
        n: int = 1,
        *,
        mode: DropMode = "reset",
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Drop the connection (RST, or close without answer) of the next ``n`` matches."""
        with self._lock:
            self._faults.add(Fault(n, mode, 0, None, self._pattern(path), method))

    def secondary_rate_limit(
        self,
        n: int = 1,
        *,
        retry_after: int | None = 1,
        status: int = 403,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``n`` matches with a secondary rate limit (403 or 429, Retry-After)."""
        with self._lock:
            self._faults.add(
                Fault(n, "secondary", status, retry_after, self._pattern(path), method)
            )

    # --------------------------------------------------------------- Python API: inspection

    @property
    def requests(self) -> list[GitHubRequest]:
        """Every API request received (control endpoints excepted), oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, method: str | None = None) -> list[GitHubRequest]:
        """Recorded requests whose prefix-free path matches ``path`` (exact or glob)."""
        pattern = self._pattern(path) or "*"
        return [
            r
            for r in self.requests
            if (r.api_path == pattern or fnmatch.fnmatchcase(r.api_path, pattern))
            and (method is None or r.method == method.upper())
        ]

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def units_spent(self) -> int:
        """Rate-limit units spent since the last reset (not refilled by a limit reset)."""
        with self._lock:
            return self._spent_total

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {
                "requests": len(self._requests),
                "rate_limit_spent": self._spent_total,
                "not_modified": self._not_modified,
                "faults": sum(1 for r in self._requests if r.fault),
            }

    # ------------------------------------------------------------------------- lookups

    # ----------------------------------------------------------------------- rendering

    # ------------------------------------------------------------------------ mutations

    # ----------------------------------------------------------------------- plumbing

    # ----------------------------------------------------------------------------- app

    def _routes(self, route: Route) -> None:
        super()._routes(route)

        control = [
            ("requests", self._c_requests, ("GET",)),
            ("counters", self._c_counters, ("GET",)),
            ("dispatches", self._c_dispatches, ("GET",)),
            ("rate_limit", self._c_rate_limit, ("GET", "POST")),
            ("faults", self._c_faults, ("GET", "POST")),
            ("reset", self._c_reset, ("POST",)),
            ("seed", self._c_seed, ("POST",)),
            ("comments", self._c_comments, ("GET", "POST")),
            ("issues", self._c_issues, ("GET", "POST")),
        ]
        for name, view, methods in control:
            route(f"/_emulator/{name}", view, methods)

    # -------------------------------------------------------------------------- views

    # ---------------------------------------------------------------- control endpoints

    def _c_requests(self) -> Response:
        return json_response([r.to_dict() for r in self._requests])

    def _c_counters(self) -> Response:
        return json_response(self.counters())

    def _c_dispatches(self) -> Response:
        return json_response(self.dispatches(request.args.get("repo")))

    def _c_rate_limit(self) -> Response:
        if request.method == "GET":
            return json_response(self.rate_limit())
        body = request.get_json(force=True)
        return json_response(
            self.set_rate_limit(
                remaining=body.get("remaining"),
                reset_in=body.get("reset_in"),
                limit=body.get("limit"),
            )
        )

    def _c_faults(self) -> Response:
        if request.method == "GET":
            return json_response(self._faults.pending())
        body = request.get_json(force=True)
        kind = body.get("kind", "status")
        count = int(body.get("count", 1))
        path, method = body.get("path"), body.get("method")
        if kind in ("reset", "close"):
            self.drop_next(count, mode=kind, path=path, method=method)
        elif kind == "secondary":
            self.secondary_rate_limit(
                count,
                retry_after=body.get("retry_after", 1),
                status=int(body.get("status", 403)),
                path=path,
                method=method,
            )
        else:
            self.fail_next(
                count,
                int(body.get("status", 502)),
                path=path,
                method=method,
                retry_after=body.get("retry_after"),
                body=body.get("body"),
            )
        return json_response({"faults": self._faults.pending()}, 201)

    def _c_reset(self) -> Response:
        self.reset()
        return json_response({"ok": True})

    def _c_seed(self) -> Response:
        self.seed(request.get_json(force=True))
        return json_response({"ok": True}, 201)

    def _c_comments(self) -> Response:
        if request.method == "GET":
            return json_response(self.comments(request.args["repo"], int(request.args["issue"])))
        body = request.get_json(force=True)
        return json_response(
            self.comment(body["repo"], int(body["issue"]), body["user"], body["body"]), 201
        )

    def _c_issues(self) -> Response:
        if request.method == "GET":
            return json_response(self.issues(request.args["repo"]))
        body = request.get_json(force=True)
        issue = self.create_issue(
            body["repo"],
            body["title"],
            user=body["user"],
            body=body.get("body"),
            labels=body.get("labels", ()),
            assignees=body.get("assignees", ()),
        )
        return json_response(issue, 201)


# ---------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """Serve the emulator until killed."""
    parser = argparse.ArgumentParser(prog="python -m tests.services.github_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", help="JSON seed file (see the module docstring)")
    args = parser.parse_args(argv)
    seed: dict[str, Any] = {}
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            seed = json.load(handle)
    emulator = GitHubEmulator(args.host, args.port, seed=seed)
    server = emulator._make_server()
    emulator._server = server
    print(f"github emulator listening on {emulator.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
