"""How a test drives the GitHub emulator: queued faults (an HTTP status, a secondary rate
limit, a dropped connection), the recorded requests and counters, and the ``/_emulator/``
endpoints that offer the same to another process (requests, counters, dispatches, rate_limit,
faults, reset, seed, and issues and comments made as a person). Those endpoints are never
recorded, faulted, authenticated or charged."""

from __future__ import annotations

import fnmatch

from flask import Response, request

from tests.services.emulator_server import Fault, Route, json_response
from tests.services.github_api.core import GitHubRequest
from tests.services.github_api.seed import SeedApi


class ControlApi(SeedApi):
    """Faults, recorded requests and counters, in Python and under ``/_emulator/``."""

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
                Fault(n, "status", status, retry_after, self._path_pattern(path), method, body)
            )

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
                Fault(n, "secondary", status, retry_after, self._path_pattern(path), method)
            )

    def requests_to(self, path: str, method: str | None = None) -> list[GitHubRequest]:
        """Recorded requests whose prefix-free path matches ``path`` (exact or glob)."""
        pattern = self._path_pattern(path) or "*"
        return [
            r
            for r in self.requests
            if (r.api_path == pattern or fnmatch.fnmatchcase(r.api_path, pattern))
            and (method is None or r.method == method.upper())
        ]

    @property
    def request_count(self) -> int:
        """How many API requests were recorded since the last reset."""
        with self._lock:
            return len(self._requests)

    @property
    def units_spent(self) -> int:
        """Rate-limit units spent since the last reset (not refilled by a limit reset)."""
        with self._lock:
            return self._spent_total

    def counters(self) -> dict[str, int]:
        """Requests, rate-limit units spent, 304 answers and faulted requests since reset."""
        with self._lock:
            return {
                "requests": len(self._requests),
                "rate_limit_spent": self._spent_total,
                "not_modified": self._not_modified,
                "faults": sum(1 for r in self._requests if r.fault),
            }

    def _c_requests(self) -> Response:
        return json_response([r.to_dict() for r in self._requests])

    def _c_counters(self) -> Response:
        return json_response(self.counters())

    def _c_dispatches(self) -> Response:
        return json_response(self.dispatches(request.args.get("repo")))

    def _c_rate_limit(self) -> Response:
        if request.method == "GET":
            args = request.args
            return json_response(self.rate_limit(args.get("token"), args.get("resource", "core")))
        body = request.get_json(force=True)
        return json_response(
            self.set_rate_limit(
                remaining=body.get("remaining"),
                reset_in=body.get("reset_in"),
                limit=body.get("limit"),
                token=body.get("token"),
                resource=body.get("resource", "core"),
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
