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
import hashlib
import json
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, request

from tests.services.emulator_server import DropMode, Fault
from tests.services.github_api.comments import CommentsApi
from tests.services.github_api.commits import CommitsApi
from tests.services.github_api.core import (
    GitHubCore,
    GitHubRequest,
)
from tests.services.github_api.issues import IssuesApi
from tests.services.github_api.labels import LabelsApi
from tests.services.github_api.model import (
    Repo,
    Run,
    Workflow,
)
from tests.services.github_api.repos import ReposApi
from tests.services.github_api.users import UsersApi
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    Route,
    empty_response,
    json_response,
    node_id,
    not_found,
    paginate,
    request_object,
)

# ------------------------------------------------------------------------------------ state


# -------------------------------------------------------------------------------- emulator


class GitHubEmulator(CommentsApi, IssuesApi, LabelsApi, ReposApi, CommitsApi, UsersApi, GitHubCore):
    """Stateful GitHub REST API on ``127.0.0.1:<free port>``, at ``/`` and ``/api/v3``.

    ``seed`` is the baseline :meth:`reset` restores (see the module docstring for its format).
    """

    def reset(self) -> None:
        """Restore the baseline seed: drop all else, clear requests and faults, refill the limit."""
        with self._lock:
            super().reset()
            self.seed(self._baseline)

    def seed(self, data: Mapping[str, Any]) -> None:
        """Add users, tokens, orgs, repos and their content from a seed mapping."""
        with self._lock:
            for user in data.get("users", []):
                if isinstance(user, str):
                    self.add_user(user)
                else:
                    self.add_user(
                        user["login"],
                        name=user.get("name"),
                        email=user.get("email"),
                        token=user.get("token"),
                        site_admin=bool(user.get("site_admin", False)),
                        type=user.get("type", "User"),
                    )
            for token, login in data.get("tokens", {}).items():
                self.add_token(token, login)
            for org in data.get("orgs", []):
                self.add_org(org["login"], name=org.get("name"), members=org.get("members", ()))
                for team in org.get("teams", []):
                    self.add_team(
                        org["login"],
                        team["slug"],
                        name=team.get("name"),
                        members=team.get("members", ()),
                        maintainers=team.get("maintainers", ()),
                        description=team.get("description"),
                        privacy=team.get("privacy", "closed"),
                    )
            for repo in data.get("repos", []):
                self._seed_repo(repo)
            if "rate_limit" in data:
                limits = data["rate_limit"]
                self.set_rate_limit(
                    limit=limits.get("limit"),
                    remaining=limits.get("remaining"),
                    reset_in=limits.get("reset_in"),
                )

    def _seed_repo(self, spec: Mapping[str, Any]) -> None:
        full = spec["full_name"]
        collaborators = spec.get("collaborators", {})
        if not isinstance(collaborators, Mapping):
            collaborators = dict.fromkeys(collaborators, "write")
        self.add_repo(
            full,
            private=bool(spec.get("private", False)),
            default_branch=spec.get("default_branch", "main"),
            description=spec.get("description"),
            collaborators=collaborators,
        )
        for label in spec.get("labels", []):
            if isinstance(label, str):
                self.add_label(full, label)
            else:
                self.add_label(
                    full, label["name"], label.get("color", "ededed"), label.get("description")
                )
        for commit in spec.get("commits", []):
            self.add_commit(
                full,
                commit.get("message", "commit"),
                sha=commit.get("sha"),
                parents=commit.get("parents"),
                branch=commit.get("branch"),
                author=commit.get("author"),
                files=commit.get("files", ()),
            )
        for name, ref in spec.get("branches", {}).items():
            self.set_branch(full, name, ref)
        for name, ref in spec.get("tags", {}).items():
            self.add_tag(full, name, ref)
        for workflow in spec.get("workflows", []):
            self.add_workflow(
                full,
                workflow["path"],
                name=workflow.get("name"),
                inputs=workflow.get("inputs"),
                state=workflow.get("state", "active"),
                dispatchable=workflow.get("dispatchable", True),
                id=workflow.get("id"),
            )
        for issue in spec.get("issues", []):
            created = self.create_issue(
                full,
                issue["title"],
                user=issue.get("user", self._repo_key(full).split("/")[0]),
                body=issue.get("body"),
                labels=issue.get("labels", ()),
                assignees=issue.get("assignees", ()),
            )
            for comment in issue.get("comments", []):
                self.comment(full, created["number"], comment["user"], comment["body"])
            if issue.get("state") == "closed":
                self.edit_issue(
                    full,
                    created["number"],
                    issue.get("user", self._repo(full).owner),
                    state="closed",
                    state_reason=issue.get("state_reason", "completed"),
                )

    def set_pull_files(
        self, repo: str, number: int, files: Iterable[str | Mapping[str, Any]]
    ) -> None:
        """The files of pull request ``number`` (``GET /repos/{o}/{r}/pulls/{n}/files``): paths
        (status "modified") or mappings with ``filename`` and ``status``."""
        with self._lock:
            target = self._repo(repo)
            listed = []
            for item in files:
                entry = {"filename": item} if isinstance(item, str) else dict(item)
                entry.setdefault("status", "modified")
                name = str(entry["filename"])
                entry.setdefault("sha", hashlib.sha1(f"{number}{name}".encode()).hexdigest())
                entry.update(additions=1, deletions=0, changes=1, patch="@@ -1 +1 @@\n+change")
                listed.append(entry)
            target.pull_files[number] = listed

    def add_workflow(
        self,
        repo: str,
        path: str,
        *,
        name: str | None = None,
        inputs: Mapping[str, Mapping[str, Any]] | None = None,
        state: str = "active",
        dispatchable: bool = True,
        id: int | None = None,
    ) -> dict[str, Any]:
        """Declare a workflow file; ``inputs`` as in ``on.workflow_dispatch.inputs``."""
        with self._lock:
            target = self._repo(repo)
            workflow = Workflow(
                id or next(self._ids),
                name or path.rsplit("/", 1)[-1],
                path,
                state,
                {k: dict(v or {}) for k, v in inputs.items()} if inputs is not None else None,
                dispatchable,
            )
            target.workflows[workflow.id] = workflow
            return self._workflow_json(target, workflow)

    def add_run(
        self,
        repo: str,
        run_id: int | None = None,
        *,
        actor: str,
        triggering_actor: str | None = None,
        workflow: str = ".github/workflows/release.yml",
        name: str | None = None,
        head_sha: str | None = None,
        head_branch: str | None = None,
        event: str = "push",
        run_number: int = 1,
        run_attempt: int = 1,
    ) -> dict[str, Any]:
        """Record a workflow run (its actor and triggering actor are created if unknown)."""
        with self._lock:
            target = self._repo(repo)
            self._account_or_create(actor)
            self._account_or_create(triggering_actor or actor)
            branch = head_branch or target.default_branch
            sha = head_sha or self._resolve(target, branch) or "0" * 40
            run = Run(
                run_id or next(self._ids),
                name or workflow.rsplit("/", 1)[-1],
                workflow,
                actor,
                triggering_actor or actor,
                sha,
                branch,
                event,
                run_number=run_number,
                run_attempt=run_attempt,
            )
            target.runs[run.id] = run
            return self._run_json(target, run)

    def remove_run(self, repo: str, run_id: int) -> None:
        """Delete a workflow run, as a writer can."""
        with self._lock:
            self._repo(repo).runs.pop(run_id, None)

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

    def set_rate_limit(
        self,
        *,
        remaining: int | None = None,
        reset_in: float | None = None,
        limit: int | None = None,
    ) -> dict[str, int]:
        """Set the core limit; it refills when ``reset_in`` seconds (rounded up) have passed."""
        with self._lock:
            self._rate.refresh()
            if limit is not None:
                self._rate.limit = limit
            if remaining is not None:
                self._rate.used = max(self._rate.limit - remaining, 0)
            if reset_in is not None:
                self._rate.reset_at = math.ceil(time.time() + reset_in)
            return self._rate.to_dict()

    # --------------------------------------------------------------- Python API: inspection

    def rate_limit(self) -> dict[str, int]:
        """The core bucket now: limit, used, remaining, reset (epoch seconds)."""
        with self._lock:
            self._rate.refresh()
            return self._rate.to_dict()

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

    def releases(self, repo: str) -> list[dict[str, Any]]:
        """The repository's releases (drafts too), newest first, as the API renders them."""
        from tests.services.github_releases import ReleasesApi

        with self._lock:
            target = self._repo(repo)
            api = ReleasesApi(self)
            return [api.to_json(target, r) for r in target.releases.newest_first()]

    def dispatches(self, repo: str | None = None) -> list[dict[str, Any]]:
        """Recorded ``workflow_dispatch`` events: repo, workflow, ref, inputs, user, run_id."""
        with self._lock:
            repos = [self._repo(repo)] if repo else list(self._repos.values())
            return [dict(d) for r in repos for d in r.dispatches]

    # ------------------------------------------------------------------------- lookups

    # ----------------------------------------------------------------------- rendering

    def _workflow_json(self, repo: Repo, workflow: Workflow) -> dict[str, Any]:
        api, web = self._bases()
        file_name = workflow.path.rsplit("/", 1)[-1]
        return {
            "id": workflow.id,
            "node_id": node_id("Workflow", workflow.id),
            "name": workflow.name,
            "path": workflow.path,
            "state": workflow.state,
            "created_at": workflow.created_at,
            "updated_at": workflow.created_at,
            "url": f"{api}/repos/{repo.full_name}/actions/workflows/{workflow.id}",
            "html_url": f"{web}/{repo.full_name}/blob/{repo.default_branch}/{workflow.path}",
            "badge_url": f"{web}/{repo.full_name}/workflows/{file_name}/badge.svg",
        }

    def _run_json(self, repo: Repo, run: Run) -> dict[str, Any]:
        api, web = self._bases()
        url = f"{api}/repos/{repo.full_name}/actions/runs/{run.id}"
        workflow = next((w for w in repo.workflows.values() if w.path == run.path), None)
        return {
            "id": run.id,
            "name": run.name,
            "node_id": node_id("WorkflowRun", run.id),
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": run.path,
            "display_title": run.name,
            "run_number": run.run_number,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": workflow.id if workflow else None,
            "url": url,
            "html_url": f"{web}/{repo.full_name}/actions/runs/{run.id}",
            "created_at": run.created_at,
            "updated_at": run.created_at,
            "run_attempt": run.run_attempt,
            "run_started_at": run.created_at,
            "actor": self._user_json(self._accounts[run.actor.lower()]),
            "triggering_actor": self._user_json(self._accounts[run.triggering_actor.lower()]),
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "repository": self._repo_json(repo),
            "head_repository": self._repo_json(repo),
        }

    # ------------------------------------------------------------------------ mutations

    # ----------------------------------------------------------------------- plumbing

    # ----------------------------------------------------------------------------- app

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route("/rate_limit", self._v_rate_limit)
        repo = REPO
        route(f"{repo}/pulls/<int:number>/files", self._v_pull_files)
        route(f"{repo}/actions/workflows", self._v_workflows)
        route(f"{repo}/actions/workflows/<workflow>", self._v_workflow)
        route(f"{repo}/actions/workflows/<workflow>/dispatches", self._v_dispatch, ("POST",))
        route(f"{repo}/actions/runs/<int:run_id>", self._v_run)
        route("/graphql", self._v_graphql, ("POST",))
        from tests.services.github_releases import register as register_releases

        register_releases(self, route, repo)

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

    def _v_rate_limit(self) -> Response:
        self._rate.refresh()
        core = self._rate.to_dict()

        def other(limit: int) -> dict[str, int]:
            return {"limit": limit, "used": 0, "remaining": limit, "reset": self._rate.reset_at}

        return json_response(
            {
                "resources": {
                    "core": core,
                    "search": other(30),
                    "graphql": other(5000),
                    "integration_manifest": other(5000),
                    "code_search": other(10),
                },
                "rate": core,
            }
        )

    def _v_pull_files(self, owner: str, name: str, number: int) -> Response:
        repo = self._visible_repo(owner, name)
        if number not in repo.pull_files:
            raise not_found()
        return paginate(repo.pull_files[number][:3000])  # GitHub lists 3000 at most

    def _find_workflow(self, repo: Repo, workflow: str) -> Workflow:
        if workflow.isdigit() and int(workflow) in repo.workflows:
            return repo.workflows[int(workflow)]
        for candidate in repo.workflows.values():
            if candidate.path.rsplit("/", 1)[-1] == workflow:
                return candidate
        raise not_found()

    def _v_workflows(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        return paginate(
            [self._workflow_json(repo, w) for w in repo.workflows.values()], key="workflows"
        )

    def _v_workflow(self, owner: str, name: str, workflow: str) -> Response:
        repo = self._visible_repo(owner, name)
        return json_response(self._workflow_json(repo, self._find_workflow(repo, workflow)))

    def _v_dispatch(self, owner: str, name: str, workflow: str) -> Response:
        repo = self._visible_repo(owner, name)
        found = self._find_workflow(repo, workflow)
        user = self._user()
        if not self._can_push(repo, user):
            raise ApiError(403, "Must have admin rights to Repository.")
        body = request_object()
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            raise ApiError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.')
        inputs = body.get("inputs", {})
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, dict):
            raise ApiError(422, "Invalid request.\n\nFor 'properties/inputs', is not an object.")
        if not found.dispatchable:
            raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
        if found.state != "active":
            raise ApiError(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
        sha = self._resolve(repo, ref)
        if sha is None or ref in repo.commits:
            raise ApiError(422, f"No ref found for: {ref}")
        if len(inputs) > 25:
            raise ApiError(422, "you may only define up to 25 `inputs` for a `workflow_dispatch`")
        if found.inputs is not None:
            unexpected = sorted(set(inputs) - set(found.inputs))
            if unexpected:
                raise ApiError(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
            for input_name, spec in found.inputs.items():
                if spec.get("required") and input_name not in inputs and "default" not in spec:
                    raise ApiError(422, f"Required input '{input_name}' not provided")
        run_id = next(self._ids)
        repo.dispatches.append(
            {
                "repo": repo.full_name,
                "workflow_id": found.id,
                "workflow": found.path,
                "ref": ref,
                "sha": sha,
                "inputs": inputs,
                "user": user.login,
                "time": time.time(),
                "run_id": run_id,
            }
        )
        if body.get("return_run_details"):
            api, web = self._bases()
            return json_response(
                {
                    "workflow_run_id": run_id,
                    "run_url": f"{api}/repos/{repo.full_name}/actions/runs/{run_id}",
                    "html_url": f"{web}/{repo.full_name}/actions/runs/{run_id}",
                }
            )
        return empty_response()

    def _v_run(self, owner: str, name: str, run_id: int) -> Response:
        repo = self._visible_repo(owner, name)
        run = repo.runs.get(run_id)
        if run is None:
            raise not_found()
        return json_response(self._run_json(repo, run))

    def _v_graphql(self) -> Response:
        from tests.services.github_graphql import execute

        body = request_object()
        query = body.get("query")
        if not isinstance(query, str):
            raise ApiError(400, "A query attribute must be specified and must be a string.")
        variables = body.get("variables") or {}
        return json_response(execute(self, self._user(), query, variables))

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
