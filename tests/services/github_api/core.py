"""The GitHub emulator's core: its state, who a request is (token auth), what the token may do
(its grant: scopes or permissions, in ``grants.py``) and what its user may do (repository
permissions, org and team membership), the primary rate limit (a bucket per token and
resource), faults, request recording, and the Flask app that every API module adds its routes
to.

How to add an API (say pull request reviews):

1. Write ``github_api/<api>.py`` with one mixin class, ``class ReviewsApi(GitHubCore)`` (or a
   subclass of another API it builds on, here ``PullsApi``). Give it:
   - its Python API for tests (``add_review(...)``, ``reviews(...)``), taking ``self._lock``;
   - its views (``_v_...``), which raise :class:`~tests.services.github_api.wire.ApiError`
     for GitHub's error answers and use ``self._visible_repo``, ``self._user()`` (401 without
     a token), ``self._can_push``, the helpers in ``wire.py`` (``paginate``,
     ``request_object``...) and ``json_response``;
   - its renderers (``_review_json``), building URLs from ``self._bases()``;
   - ``_routes(self, route)``, which calls ``super()._routes(route)`` and then
     ``route(f"{REPO}/pulls/<int:number>/reviews", self._v_reviews, ("GET", "POST"),
     permission="pull_requests")``. Every repository route names the kind of resource it
     touches (``permission``: an installation token's permission, or alternatives as a tuple;
     GET/HEAD need ``read``, other methods ``write``): the core checks the token's grant
     against it before the view runs (see ``grants.py``). ``resource="graphql"`` charges
     another rate-limit bucket than ``core``.
   State is a dataclass in ``model.py``; a repository's is a field of ``Repo``.
2. Add the class to ``GitHubEmulator``'s bases in ``tests/services/github_emulator.py`` (the
   one registration line). If the seed format should cover it, extend ``seed.py``.

Every request, whatever its API, goes through this core: recorded, matched against queued
faults, authenticated, charged to its token's rate limit, checked against its token's grant,
answered with GitHub's headers (``X-RateLimit-*``, ``X-OAuth-Scopes``,
``X-Accepted-OAuth-Scopes``, ``X-Accepted-GitHub-Permissions``) and ETag.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import time
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import Flask, Response, g, has_request_context, request
from werkzeug.exceptions import HTTPException

from tests.services.emulator_server import (
    EmulatorServer,
    Fault,
    RecordedRequest,
    Route,
    json_response,
)
from tests.services.github_api.grants import (
    MEMBERS,
    USER,
    Grant,
    check_members,
    check_repo,
    check_user,
)
from tests.services.github_api.model import (
    LIMITS,
    Account,
    Org,
    RateBuckets,
    RateLimit,
    Repo,
)
from tests.services.github_api.wire import REPO, ApiError, node_id, not_found

API_PREFIX = "/api/v3"
GHES_GRAPHQL = "/api/graphql"
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
PUSH_PERMISSIONS = frozenset({"admin", "maintain", "write", "push"})


@dataclass
class GitHubRequest(RecordedRequest):
    """A recorded request, plus the API path (prefix stripped) and whether it spent a unit."""

    api_path: str = ""
    spent: bool = False

    @property
    def authorization(self) -> str | None:
        """The Authorization header, if any."""
        return self.header("Authorization")

    def to_dict(self) -> dict[str, Any]:
        """The request as ``/_emulator/requests`` lists it."""
        return {**super().to_dict(), "api_path": self.api_path, "spent": self.spent}


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


class GitHubCore(EmulatorServer[GitHubRequest]):
    """Stateful GitHub REST API on ``127.0.0.1:<free port>``, at ``/`` and ``/api/v3``: the
    part every API shares. ``seed`` is the baseline the emulator's ``reset`` restores."""

    USER_ID_BASE: ClassVar[int] = 1000

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, seed: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(host, port)
        self._baseline = json.loads(json.dumps(seed or {}))
        self.app = self._build_app()
        self.reset()

    @property
    def api_v3_url(self) -> str:
        """GHES-style API base, e.g. ``http://127.0.0.1:40123/api/v3``."""
        return self.url + API_PREFIX

    def reset(self) -> None:
        """Drop all state, recorded requests and faults; refill the rate limit."""
        with self._lock:
            self._ids = itertools.count(self.USER_ID_BASE)
            self._commit_seq = itertools.count(1)
            self._accounts: dict[str, Account] = {}
            self._tokens: dict[str, tuple[str, Grant]] = {}  # token -> (lower login, grant)
            self._orgs: dict[str, Org] = {}
            self._repos: dict[str, Repo] = {}
            self._requests = []
            self._faults.clear()
            self._rates = RateBuckets()
            self._spent_total = 0
            self._not_modified = 0

    # ------------------------------------------------------------------- accounts and tokens

    def add_user(
        self,
        login: str,
        *,
        name: str | None = None,
        email: str | None = None,
        token: str | None = None,
        site_admin: bool = False,
        type: str = "User",
    ) -> dict[str, Any]:
        """Create a user (or return the existing one); ``token`` authenticates as them, with
        full access (a classic token with ``repo``, ``workflow`` and ``read:org``)."""
        with self._lock:
            account = self._accounts.get(login.lower())
            if account is None:
                account = Account(next(self._ids), login, type, name, email, site_admin)
                self._accounts[login.lower()] = account
            if token:
                self._tokens[token] = (login.lower(), Grant.classic())
            return self._user_json(account)

    def add_token(self, token: str, login: str, *, scopes: Iterable[str] | None = None) -> None:
        """Let ``token`` authenticate as ``login`` (created if unknown): a classic personal
        access token with OAuth ``scopes`` (None: full access, as ``add_user(token=...)``)."""
        with self._lock:
            self.add_user(login)
            self._tokens[token] = (login.lower(), Grant.classic(scopes))

    def add_installation_token(
        self,
        token: str,
        repositories: Iterable[str] | str,
        permissions: Mapping[str, str],
        *,
        login: str = "github-actions[bot]",
        rate_limit: int = 1000,
    ) -> None:
        """Let ``token`` act as the app ``login`` (a Bot) with ``permissions`` (as a
        workflow's ``permissions:`` writes them: ``{"issues": "write", "pull-requests":
        "read"}``; ``metadata: read`` always) on ``repositories``: the job's
        ``GITHUB_TOKEN`` when that is the workflow's repository. ``rate_limit``: its core
        limit per hour (a ``GITHUB_TOKEN``'s is 1000)."""
        repos = [repositories] if isinstance(repositories, str) else list(repositories)
        grant = Grant.installation(repos, permissions, core_limit=rate_limit)
        with self._lock:
            self.add_user(login, type="Bot")
            self._tokens[token] = (login.lower(), grant)

    def grant(self, token: str) -> dict[str, Any]:
        """What ``token`` may do (its kind and scopes, or repositories and permissions)."""
        with self._lock:
            return self._tokens[token][1].to_dict()

    def _account_or_create(self, login: str) -> Account:
        self.add_user(login)
        return self._accounts[login.lower()]

    # ------------------------------------------------------------------------------- lookups

    def _path_pattern(self, path: str | None) -> str | None:
        """Without the ``/api/v3`` prefix: faults and queries match the prefix-free path."""
        if path and (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            return path[len(API_PREFIX) :] or "/"
        return path

    def _repo(self, full_name: str) -> Repo:
        try:
            return self._repos[full_name.lower()]
        except KeyError:
            raise KeyError(f"unknown repo {full_name!r}") from None

    def _resolve(self, repo: Repo, ref: str) -> str | None:
        """The sha a ref names: sha, unique sha prefix, branch, tag, refs/heads|tags/..."""
        ref = urllib.parse.unquote(ref)
        if ref in repo.commits:
            return ref
        for prefix, table in (("refs/heads/", repo.branches), ("refs/tags/", repo.tags)):
            if ref.startswith(prefix):
                return table.get(ref[len(prefix) :])
        if ref in repo.branches:
            return repo.branches[ref]
        if ref in repo.tags:
            return repo.tags[ref]
        if ref == "HEAD":
            return repo.branches.get(repo.default_branch)
        if len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref.lower()):
            found = [sha for sha in repo.commits if sha.startswith(ref.lower())]
            if len(found) == 1:
                return found[0]
        return None

    def _require_ref(self, repo: Repo, ref: str) -> str:
        sha = self._resolve(repo, ref)
        if sha is None:
            raise KeyError(f"unknown ref {ref!r} in {repo.full_name}")
        return sha

    def _ancestors(self, repo: Repo, sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen or current not in repo.commits:
                continue
            seen.add(current)
            stack.extend(repo.commits[current].parents)
        return seen

    # --------------------------------------------------------------------------- permissions

    def _is_org_member(self, org_login: str, login: str) -> bool:
        org = self._orgs.get(org_login.lower())
        return org is not None and login.lower() in org.members

    def _permission(self, repo: Repo, account: Account | None) -> str:
        """admin/maintain/write/triage/read/none for ``account`` on ``repo``; an app acting
        through an installation token writes to the repositories it was given."""
        if account is None:
            return "none" if repo.private else "read"
        grant = self._grant_of(account)
        if grant is not None and grant.reaches(repo.full_name):
            return "write"
        login = account.login.lower()
        if login == repo.owner.lower() or account.site_admin:
            return "admin"
        if login in repo.collaborators:
            return repo.collaborators[login]
        if self._is_org_member(repo.owner, login):
            return "write"  # as if the org's base permission were "write"
        return "none" if repo.private else "read"

    def _grant_of(self, account: Account) -> Grant | None:
        """The installation grant ``account`` acts with in this request, if it is the caller."""
        if not has_request_context() or g.get("user") is not account:
            return None
        grant: Grant | None = g.get("grant")
        return grant if grant is not None and grant.installation_token else None

    def _token_allows(self, repo: Repo, permission: str, access: str = "read") -> bool:
        """Whether this request's token may ``access`` ``permission`` of ``repo`` (GraphQL
        checks it per field; REST routes are checked by the core before their view)."""
        grant: Grant | None = g.get("grant") if has_request_context() else None
        if grant is None:
            return True
        return check_repo(grant, permission, access, repo.full_name, repo.private).refusal is None

    def _can_push(self, repo: Repo, account: Account | None) -> bool:
        return self._permission(repo, account) in PUSH_PERMISSIONS

    def _assignable(self, repo: Repo, login: str) -> bool:
        account = self._accounts.get(login.lower())
        if account is None or account.type != "User":
            return False
        return self._permission(repo, account) in (*PUSH_PERMISSIONS, "triage")

    def _association(self, repo: Repo, login: str) -> str:
        login = login.lower()
        if login == repo.owner.lower():
            return "OWNER"
        if self._is_org_member(repo.owner, login):
            return "MEMBER"
        if login in repo.collaborators:
            return "COLLABORATOR"
        return "NONE"

    # ----------------------------------------------------------------------------- rendering

    def _bases(self) -> tuple[str, str]:
        """(API base, web base) for URLs in responses: the request's host and prefix."""
        if has_request_context():
            root = request.host_url.rstrip("/")
            return root + request.script_root, root
        root = self.url if self._server is not None else f"http://{self.host}:{self.port}"
        return root, root

    def _user_json(self, account: Account) -> dict[str, Any]:
        api, web = self._bases()
        login = account.login
        url = f"{api}/users/{login}"
        return {
            "login": login,
            "id": account.id,
            "node_id": node_id(account.type, account.id),
            "avatar_url": f"{web}/avatars/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{web}/{login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": account.type,
            "user_view_type": "public",
            "site_admin": account.site_admin,
        }

    # ------------------------------------------------------------------ the request pipeline

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == GHES_GRAPHQL:  # GitHub Enterprise Server: /api/graphql, beside /api/v3
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/api"
            environ["PATH_INFO"] = "/graphql"
        elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + API_PREFIX
            environ["PATH_INFO"] = path[len(API_PREFIX) :] or "/"
        return self.app.wsgi_app(environ, start_response)

    def _fault_path(self, path: str) -> str:
        return self._path_pattern(path) or path

    def _record_dropped(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], fault: Fault
    ) -> None:
        api_path = self._fault_path(path)
        self._requests.append(
            GitHubRequest(
                method, path, query, headers, b"", time.time(), None, fault.kind, api_path
            )
        )

    def _record(self) -> GitHubRequest:
        record = GitHubRequest(
            method=request.method,
            path=request.script_root + request.path,
            query=dict(request.args.items()),
            headers=dict(request.headers.items()),
            body=request.get_data(cache=True),
            time=time.time(),
            api_path=request.path,
        )
        self._requests.append(record)
        return record

    def _authenticate(self) -> tuple[Account, Grant, str] | None:
        """The caller's account, grant and token; None when no token was sent."""
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "basic":
            try:
                credential = base64.b64decode(credential).decode().partition(":")[2]
            except ValueError:
                credential = ""
        elif scheme.lower() not in ("token", "bearer"):
            credential = ""
        found = self._tokens.get(credential)
        if found is None:
            raise ApiError(401, "Bad credentials")
        login, grant = found
        return self._accounts[login], grant, credential

    def _user(self) -> Account:
        user: Account | None = g.get("user")
        if user is None:
            raise ApiError(401, "Requires authentication")
        return user

    def _bucket(self, token: str | None, grant: Grant | None, resource: str) -> RateLimit:
        """The rate-limit bucket of ``token`` (None: anonymous callers) for ``resource``."""
        if token is None or grant is None:
            return self._rates.get("", resource, LIMITS["anonymous"].get(resource, 0))
        limit = grant.core_limit if resource == "core" else LIMITS["user"].get(resource, 0)
        if resource == "graphql" and grant.installation_token:
            limit = grant.core_limit
        return self._rates.get(token, resource, limit)

    def _caller_bucket(self, resource: str) -> RateLimit:
        """This request's bucket for ``resource``."""
        return self._bucket(g.get("token"), g.get("grant"), resource)

    def _rate_headers(self, response: Response, bucket: RateLimit, resource: str) -> None:
        bucket.refresh()
        response.headers["X-RateLimit-Limit"] = str(bucket.limit)
        response.headers["X-RateLimit-Remaining"] = str(bucket.remaining)
        response.headers["X-RateLimit-Reset"] = str(bucket.reset_at)
        response.headers["X-RateLimit-Used"] = str(bucket.used)
        response.headers["X-RateLimit-Resource"] = resource

    def _rate_exceeded(self) -> ApiError:
        user: Account | None = g.get("user")
        grant: Grant | None = g.get("grant")
        if user is None:
            return ApiError(
                403,
                f"API rate limit exceeded for {request.remote_addr}. (But here's the good "
                "news: Authenticated requests get a higher rate limit. Check out the "
                "documentation for more details.)",
                doc=RATE_DOCS,
            )
        who = "installation" if grant is not None and grant.installation_token else "user"
        return ApiError(
            403,
            f"API rate limit exceeded for {who} ID {user.id}. If you reach out to GitHub "
            f"Support for help, please include the request ID {secrets.token_hex(8).upper()}.",
            doc=RATE_DOCS,
        )

    def _check_grant(self) -> None:
        """Refuse what this request's token may not do (404 or 403, as GitHub answers), and
        note the ``X-Accepted-*`` headers that say what the route needs."""
        grant: Grant | None = g.get("grant")
        need = self._needs.get(request.endpoint or "")
        if grant is None or need is None:
            return
        access = "read" if request.method in ("GET", "HEAD") else "write"
        if need == USER:
            verdict = check_user(grant)
        elif need == MEMBERS:
            verdict = check_members(grant, access)
        else:
            args = request.view_args or {}
            repo = self._repos.get(f"{args.get('owner')}/{args.get('name')}".lower())
            if repo is None:
                return  # the view answers 404
            verdict = check_repo(grant, need, access, repo.full_name, repo.private)
        g.grant_headers = verdict.headers
        if verdict.refusal is not None:
            raise verdict.refusal

    def _fault_response(self, fault: Fault) -> Response:
        if fault.kind == "secondary":
            response = json_response(
                {
                    "message": "You have exceeded a secondary rate limit. Please wait a few "
                    "minutes before you try again. If you reach out to GitHub Support for "
                    f"help, please include the request ID {secrets.token_hex(8).upper()}.",
                    "documentation_url": SECONDARY_DOCS,
                    "status": str(fault.status),
                },
                fault.status,
            )
        elif fault.body is not None:
            response = Response(fault.body, fault.status, content_type="text/plain")
        else:
            message = "Server Error" if fault.status >= 500 else "Error"
            response = json_response({"message": message}, fault.status)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def _visible_repo(self, owner: str, name: str) -> Repo:
        repo = self._repos.get(f"{owner}/{name}".lower())
        if repo is None or self._permission(repo, g.get("user")) == "none":
            raise not_found()
        return repo

    # ------------------------------------------------------------------------------- the app

    def _build_app(self) -> Flask:
        app = Flask("github_emulator")

        @app.before_request
        def before() -> Response | None:
            if request.path.startswith("/_emulator/") and not request.script_root:
                return None
            g.record = self._record()
            g.spend = False
            fault = self._faults.take(request.method, request.path, connection=False)
            if fault is not None:
                g.record.fault = fault.kind if fault.kind != "status" else f"status {fault.status}"
                return self._fault_response(fault)
            g.user, g.grant, g.token = self._authenticate() or (None, None, None)
            g.resource = self._resources.get(request.endpoint or "", "core")
            if request.path == "/rate_limit" or (g.user is None and g.resource == "graphql"):
                return None  # free, or the view answers 401
            if self._caller_bucket(g.resource).remaining <= 0:
                raise self._rate_exceeded()
            g.spend = True  # from here on, an answer costs a unit, a refusal too
            self._check_grant()
            return None

        @app.after_request
        def after(response: Response) -> Response:
            record: GitHubRequest | None = g.get("record")
            if record is None:
                return response
            if request.method in ("GET", "HEAD") and response.status_code == 200:
                etag = f'W/"{hashlib.sha256(response.get_data()).hexdigest()}"'
                if _etag_matches(request.headers.get("If-None-Match"), etag):
                    response = Response(status=304)
                    g.spend = False
                    self._not_modified += 1
                response.headers["ETag"] = etag
                response.headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
                response.headers["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
            resource = g.get("resource", "core")
            bucket = self._caller_bucket(resource)
            if g.get("spend"):
                bucket.used += 1
                self._spent_total += 1
                record.spent = True
            self._rate_headers(response, bucket, resource)
            response.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
            response.headers["X-GitHub-Api-Version-Selected"] = "2022-11-28"
            response.headers["X-GitHub-Request-Id"] = secrets.token_hex(10).upper()
            grant: Grant | None = g.get("grant")
            if grant is not None and not grant.installation_token:
                response.headers["X-OAuth-Scopes"] = ", ".join(grant.scopes)
            response.headers.update(g.get("grant_headers") or {})
            record.status = response.status_code
            return response

        @app.errorhandler(ApiError)
        def api_error(error: ApiError) -> Response:
            response = json_response(error.body(), error.status)
            response.headers.update(error.headers)
            return response

        @app.errorhandler(HTTPException)
        def http_error(error: HTTPException) -> Response:
            return json_response(not_found().body(), 404)

        self._needs: dict[str, str | tuple[str, ...]] = {}
        self._resources: dict[str, str] = {}

        def route(
            rule: str,
            view: Any,
            methods: Sequence[str] = ("GET",),
            *,
            permission: str | tuple[str, ...] | None = None,
            resource: str = "core",
        ) -> None:
            if rule.startswith(REPO) and permission is None:
                raise ValueError(f"{rule}: a repository route must name its permission")
            app.add_url_rule(rule, view.__name__, view, methods=list(methods))
            if permission is not None:
                self._needs[view.__name__] = permission
            self._resources[view.__name__] = resource

        self._routes(route)
        return app

    def _routes(self, route: Route) -> None:
        """Add this class's URL rules; every API module extends it (calling super first)."""
        route("/", self._v_root)

    def _v_root(self) -> Response:
        api, _ = self._bases()
        return json_response(
            {
                "current_user_url": f"{api}/user",
                "rate_limit_url": f"{api}/rate_limit",
                "repository_url": f"{api}/repos/{{owner}}/{{repo}}",
                "organization_url": f"{api}/orgs/{{org}}",
                "user_url": f"{api}/users/{{user}}",
            }
        )
