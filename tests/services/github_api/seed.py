"""Seeding: the data a GitHub emulator starts from, and what its ``reset`` restores.

Seed format (``--seed file.json``, ``GitHubEmulator(seed=...)``, ``POST /_emulator/seed``)::

    {"users": ["alice", {"login": "bot", "token": "ghp_bot", "name": "Bot"}],
     "tokens": {"ghp_alice": "alice", "ghp_ci": {"login": "ci", "scopes": ["repo"]}},
     "installation_tokens": [{"token": "ghs_job", "repositories": ["acme/app"],
                              "permissions": {"issues": "write", "contents": "read"}}],
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

Each entry goes through the Python API of the module that owns it (``add_user``,
``add_token``, ``add_installation_token``, ``add_org``, ``add_repo``, ``add_label``,
``create_issue``...), so a seed gets the same validation as a test's own calls. A token given
as a login has full access; with ``scopes`` it is a classic token with just those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.services.github_api.actions import ActionsApi
from tests.services.github_api.comments import CommentsApi
from tests.services.github_api.rate_limit import RateLimitApi
from tests.services.github_api.users import UsersApi


class SeedApi(CommentsApi, ActionsApi, UsersApi, RateLimitApi):
    """Seeding from a mapping, and ``reset`` back to the baseline seed."""

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
            for token, who in data.get("tokens", {}).items():
                if isinstance(who, str):
                    self.add_token(token, who)
                else:
                    self.add_token(token, who["login"], scopes=who.get("scopes"))
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
            for entry in data.get("installation_tokens", []):
                self.add_installation_token(
                    entry["token"],
                    entry["repositories"],
                    entry.get("permissions", {}),
                    login=entry.get("login", "github-actions[bot]"),
                    rate_limit=int(entry.get("rate_limit", 1000)),
                )
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

    def _repo_key(self, full_name: str) -> str:
        return self._repo(full_name).full_name
