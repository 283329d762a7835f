"""The repositories API: ``/repos/{o}/{r}`` (with the caller's ``permissions``), its
collaborators and their permission, and who can be assigned issues (``assignees``). The
permission model itself (owner, collaborators, org members, site admins) is the core's."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, g, has_request_context

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.commits import CommitsApi
from tests.services.github_api.model import Repo
from tests.services.github_api.wire import (
    REPO,
    ApiError,
    empty_response,
    node_id,
    not_found,
    paginate,
)


class ReposApi(CommitsApi):
    """Repositories, collaborators and assignees."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route(REPO, self._v_repo, permission="metadata")
        route(f"{REPO}/collaborators", self._v_collaborators, permission="metadata")
        route(f"{REPO}/collaborators/<login>", self._v_collaborator, permission="metadata")
        route(
            f"{REPO}/collaborators/<login>/permission",
            self._v_collaborator_permission,
            permission="metadata",
        )
        route(f"{REPO}/assignees", self._v_assignees, permission="issues")
        route(f"{REPO}/assignees/<login>", self._v_assignee, permission="issues")

    def add_repo(
        self,
        full_name: str,
        *,
        private: bool = False,
        default_branch: str = "main",
        description: str | None = None,
        collaborators: Mapping[str, str] | Iterable[str] = (),
    ) -> dict[str, Any]:
        """Create a repo with one initial commit on ``default_branch``.

        Its owner is the org or user of that login (a user is created if unknown);
        ``collaborators`` maps logins to a permission (``admin``/``maintain``/``write``/
        ``triage``/``read``), or lists logins given ``write``.
        """
        owner_login, name = full_name.split("/")
        with self._lock:
            if full_name.lower() not in self._repos:
                owner = self._accounts.get(owner_login.lower())
                if owner is None:
                    self.add_user(owner_login)
                    owner = self._accounts[owner_login.lower()]
                repo = Repo(next(self._ids), owner.login, name, private, description)
                repo.default_branch = default_branch
                self._repos[full_name.lower()] = repo
                self.add_commit(full_name, "Initial commit", branch=default_branch)
            if not isinstance(collaborators, Mapping):
                collaborators = dict.fromkeys(collaborators, "write")
            for login, permission in collaborators.items():
                self.add_collaborator(full_name, login, permission)
            return self._repo_json(self._repos[full_name.lower()])

    def add_collaborator(self, repo: str, login: str, permission: str = "write") -> None:
        """Give ``login`` (created if unknown) ``permission`` on ``repo``."""
        with self._lock:
            self.add_user(login)
            self._repo(repo).collaborators[login.lower()] = permission

    def _repo_json(self, repo: Repo) -> dict[str, Any]:
        api, web = self._bases()
        full = repo.full_name
        r = f"{api}/repos/{full}"
        owner = self._accounts[repo.owner.lower()]
        host = urllib.parse.urlsplit(web).netloc
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        out: dict[str, Any] = {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": full,
            "private": repo.private,
            "owner": self._user_json(owner),
            "html_url": f"{web}/{full}",
            "description": repo.description,
            "fork": False,
            "url": r,
            "forks_url": f"{r}/forks",
            "keys_url": f"{r}/keys{{/key_id}}",
            "collaborators_url": f"{r}/collaborators{{/collaborator}}",
            "teams_url": f"{r}/teams",
            "hooks_url": f"{r}/hooks",
            "issue_events_url": f"{r}/issues/events{{/number}}",
            "events_url": f"{r}/events",
            "assignees_url": f"{r}/assignees{{/user}}",
            "branches_url": f"{r}/branches{{/branch}}",
            "tags_url": f"{r}/tags",
            "blobs_url": f"{r}/git/blobs{{/sha}}",
            "git_tags_url": f"{r}/git/tags{{/sha}}",
            "git_refs_url": f"{r}/git/refs{{/sha}}",
            "trees_url": f"{r}/git/trees{{/sha}}",
            "statuses_url": f"{r}/statuses/{{sha}}",
            "languages_url": f"{r}/languages",
            "stargazers_url": f"{r}/stargazers",
            "contributors_url": f"{r}/contributors",
            "subscribers_url": f"{r}/subscribers",
            "subscription_url": f"{r}/subscription",
            "commits_url": f"{r}/commits{{/sha}}",
            "git_commits_url": f"{r}/git/commits{{/sha}}",
            "comments_url": f"{r}/comments{{/number}}",
            "issue_comment_url": f"{r}/issues/comments{{/number}}",
            "contents_url": f"{r}/contents/{{+path}}",
            "compare_url": f"{r}/compare/{{base}}...{{head}}",
            "merges_url": f"{r}/merges",
            "archive_url": f"{r}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{r}/downloads",
            "issues_url": f"{r}/issues{{/number}}",
            "pulls_url": f"{r}/pulls{{/number}}",
            "milestones_url": f"{r}/milestones{{/number}}",
            "notifications_url": f"{r}/notifications{{?since,all,participating}}",
            "labels_url": f"{r}/labels{{/name}}",
            "releases_url": f"{r}/releases{{/id}}",
            "deployments_url": f"{r}/deployments",
            "created_at": repo.created_at,
            "updated_at": repo.created_at,
            "pushed_at": repo.created_at,
            "git_url": f"git://{host}/{full}.git",
            "ssh_url": f"git@{host.split(':')[0]}:{full}.git",
            "clone_url": f"{web}/{full}.git",
            "svn_url": f"{web}/{full}",
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_issues,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": open_issues,
            "watchers": 0,
            "default_branch": repo.default_branch,
        }
        user = g.get("user") if has_request_context() else None
        if user is not None:
            permission = self._permission(repo, user)
            rank = ["none", "read", "triage", "write", "maintain", "admin"]
            level = rank.index({"push": "write"}.get(permission, permission))
            out["permissions"] = {
                "admin": level >= 5,
                "maintain": level >= 4,
                "push": level >= 3,
                "triage": level >= 2,
                "pull": level >= 1,
            }
        if owner.type == "Organization":
            out["organization"] = self._user_json(owner)
        out["network_count"] = 0
        out["subscribers_count"] = 0
        return out

    def _v_repo(self, owner: str, name: str) -> Response:
        return json_response(self._repo_json(self._visible_repo(owner, name)))

    def _v_collaborators(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        if not self._can_push(repo, self._user()):
            raise ApiError(403, "Must have push access to view repository collaborators.")
        logins = [repo.owner.lower()] if self._orgs.get(repo.owner.lower()) is None else []
        logins += [c for c in repo.collaborators if c not in logins]
        return paginate([self._user_json(self._accounts[c]) for c in logins])

    def _v_collaborator(self, owner: str, name: str, login: str) -> Response:
        repo = self._visible_repo(owner, name)
        account = self._accounts.get(login.lower())
        if account is not None and self._permission(repo, account) not in ("none", "read"):
            return empty_response()
        if account is not None and login.lower() in repo.collaborators:
            return empty_response()
        raise not_found()

    def _v_collaborator_permission(self, owner: str, name: str, login: str) -> Response:
        repo = self._visible_repo(owner, name)
        account = self._accounts.get(login.lower())
        if account is None:
            raise ApiError(404, f"{login} is not a user")
        role = self._permission(repo, account)
        legacy = {"maintain": "write", "push": "write", "triage": "read"}.get(role, role)
        return json_response(
            {"permission": legacy, "role_name": role, "user": self._user_json(account)}
        )

    def _v_assignees(self, owner: str, name: str) -> Response:
        repo = self._visible_repo(owner, name)
        logins = [a for a, acc in self._accounts.items() if self._assignable(repo, a) and acc]
        return paginate([self._user_json(self._accounts[a]) for a in logins])

    def _v_assignee(self, owner: str, name: str, login: str) -> Response:
        repo = self._visible_repo(owner, name)
        if self._assignable(repo, login):
            return empty_response()
        raise not_found()
