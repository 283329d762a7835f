"""The users, organizations and teams API: ``/user``, ``/users/{login}``, ``/orgs/{org}``
(members, teams) and a team's members and memberships, by org + slug, org id + team id or
team id.

Teams are seen as on GitHub: a token needs ``read:org`` (an installation token ``members:
read`` on that organization, which a ``GITHUB_TOKEN`` never has; see ``grants.py``), and its
user must belong to the organization (a ``secret`` team: to the team); otherwise 404."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, g, request

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.grants import MEMBERS, USER, Grant
from tests.services.github_api.model import Account, Org, Team
from tests.services.github_api.wire import ApiError, empty_response, node_id, not_found, paginate


class UsersApi(GitHubCore):
    """Users, organizations and teams (accounts and tokens themselves are the core's)."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route("/user", self._v_user, permission=USER)
        route("/users/<login>", self._v_users)
        route("/orgs/<org>", self._v_org)
        route("/orgs/<org>/members", self._v_org_members)
        route("/orgs/<org>/members/<login>", self._v_org_member)
        route("/orgs/<org>/teams", self._v_org_teams, permission=MEMBERS)
        # A team is addressed by org + slug, by org id + team id (the "url" GitHub returns),
        # or by team id alone (the legacy form PyGithub's has_in_members uses).
        for team in (
            "/orgs/<org>/teams/<slug>",
            "/organizations/<int:org_id>/team/<int:team_id>",
            "/teams/<int:team_id>",
        ):
            route(team, self._v_team, permission=MEMBERS)
            route(f"{team}/members", self._v_team_members, permission=MEMBERS)
            route(f"{team}/members/<login>", self._v_team_member, permission=MEMBERS)
            route(f"{team}/memberships/<login>", self._v_team_membership, permission=MEMBERS)

    def add_org(
        self, login: str, *, name: str | None = None, members: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Create an organization (members are created as users if unknown)."""
        with self._lock:
            org = self._orgs.get(login.lower())
            if org is None:
                if login.lower() in self._accounts:
                    raise ValueError(f"{login} is already a user")
                account = Account(next(self._ids), login, "Organization", name)
                self._accounts[login.lower()] = account
                org = self._orgs[login.lower()] = Org(account)
            for member in members:
                self._add_org_member(org, member)
            return self._org_json(org)

    def _add_org_member(self, org: Org, login: str) -> None:
        self.add_user(login)
        if login.lower() not in org.members:
            org.members.append(login.lower())

    def add_team(
        self,
        org: str,
        slug: str,
        *,
        name: str | None = None,
        members: Iterable[str] = (),
        maintainers: Iterable[str] = (),
        description: str | None = None,
        privacy: str = "closed",
    ) -> dict[str, Any]:
        """Create a team in ``org`` (created if unknown) with members and maintainers."""
        with self._lock:
            self.add_org(org)
            owner = self._orgs[org.lower()]
            team = owner.teams.get(slug)
            if team is None:
                team = Team(next(self._ids), owner.account.login, slug, name or slug)
                team.description = description
                team.privacy = privacy
                owner.teams[slug] = team
            for login in members:
                self.add_team_member(org, slug, login)
            for login in maintainers:
                self.add_team_member(org, slug, login, role="maintainer")
            return self._team_json(team, full=True)

    def add_team_member(self, org: str, slug: str, login: str, role: str = "member") -> None:
        """Add ``login`` to a team (and to its org)."""
        with self._lock:
            owner = self._orgs[org.lower()]
            self._add_org_member(owner, login)
            owner.teams[slug].members[login.lower()] = role

    def _user_full_json(self, account: Account) -> dict[str, Any]:
        if account.type == "Organization":
            return {**self._user_json(account), **self._org_extra(account)}
        repos = sum(1 for r in self._repos.values() if r.owner.lower() == account.login.lower())
        return {
            **self._user_json(account),
            "name": account.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": account.email,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": repos,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": account.created_at,
            "updated_at": account.created_at,
        }

    def _org_extra(self, account: Account) -> dict[str, Any]:
        repos = sum(1 for r in self._repos.values() if r.owner.lower() == account.login.lower())
        return {
            "name": account.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "twitter_username": None,
            "is_verified": False,
            "has_organization_projects": True,
            "has_repository_projects": True,
            "public_repos": repos,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": account.created_at,
            "updated_at": account.created_at,
            "archived_at": None,
        }

    def _org_simple_json(self, account: Account) -> dict[str, Any]:
        api, web = self._bases()
        url = f"{api}/orgs/{account.login}"
        return {
            "login": account.login,
            "id": account.id,
            "node_id": node_id("Organization", account.id),
            "url": url,
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events",
            "hooks_url": f"{url}/hooks",
            "issues_url": f"{url}/issues",
            "members_url": f"{url}/members{{/member}}",
            "public_members_url": f"{url}/public_members{{/member}}",
            "avatar_url": f"{web}/avatars/u/{account.id}?v=4",
            "description": None,
        }

    def _org_json(self, org: Org) -> dict[str, Any]:
        _, web = self._bases()
        return {
            **self._org_simple_json(org.account),
            **self._org_extra(org.account),
            "html_url": f"{web}/{org.account.login}",
            "type": "Organization",
        }

    def _team_url(self, team: Team) -> str:
        api, _ = self._bases()
        org = self._orgs[team.org.lower()]
        return f"{api}/organizations/{org.account.id}/team/{team.id}"

    def _team_json(self, team: Team, *, full: bool = False) -> dict[str, Any]:
        _, web = self._bases()
        url = self._team_url(team)
        out: dict[str, Any] = {
            "name": team.name,
            "id": team.id,
            "node_id": node_id("Team", team.id),
            "slug": team.slug,
            "description": team.description,
            "privacy": team.privacy,
            "notification_setting": "notifications_enabled",
            "url": url,
            "html_url": f"{web}/orgs/{team.org}/teams/{team.slug}",
            "members_url": f"{url}/members{{/member}}",
            "repositories_url": f"{url}/repos",
            "permission": "pull",
            "parent": None,
        }
        if full:
            org = self._orgs[team.org.lower()]
            out.update(
                {
                    "members_count": len(team.members),
                    "repos_count": 0,
                    "created_at": team.created_at,
                    "updated_at": team.created_at,
                    "organization": self._org_json(org),
                }
            )
        return out

    def _org_or_404(self, org: str) -> Org:
        found = self._orgs.get(org.lower())
        if found is None:
            raise not_found()
        return found

    def _find_team(
        self,
        org: str | None = None,
        slug: str | None = None,
        org_id: int | None = None,
        team_id: int | None = None,
    ) -> Team:
        """The team a route names (org + slug, org id + team id, or team id) if the caller
        may see it, else 404."""
        self._user()
        if org is not None:
            team = self._org_or_404(org).teams.get(slug or "")
            if team is not None and self._sees_team(team):
                return team
            raise not_found()
        for owner in self._orgs.values():
            if org_id is None or owner.account.id == org_id:
                for team in owner.teams.values():
                    if team.id == team_id and self._sees_team(team):
                        return team
        raise not_found()

    def _sees_teams_of(self, org: str) -> bool:
        """Whether the caller sees ``org``'s (closed) teams: an installation on it, a site
        admin or a member of it."""
        user = self._user()
        grant: Grant | None = g.get("grant")
        if grant is not None and grant.installation_token:
            return grant.owner == org.lower()
        return user.site_admin or self._is_org_member(org, user.login)

    def _sees_team(self, team: Team) -> bool:
        """Whether the caller may see ``team``: a member of it; else one who sees the
        organization's teams, for a ``secret`` team only an installation or a site admin."""
        user = self._user()
        if user.login.lower() in team.members:
            return True
        if not self._sees_teams_of(team.org):
            return False
        grant: Grant | None = g.get("grant")
        installation = grant is not None and grant.installation_token
        return team.privacy == "closed" or user.site_admin or installation

    def _v_user(self) -> Response:
        return json_response(self._user_full_json(self._user()))

    def _v_users(self, login: str) -> Response:
        account = self._accounts.get(login.lower())
        if account is None:
            raise not_found()
        return json_response(self._user_full_json(account))

    def _v_org(self, org: str) -> Response:
        return json_response(self._org_json(self._org_or_404(org)))

    def _v_org_members(self, org: str) -> Response:
        found = self._org_or_404(org)
        return paginate([self._user_json(self._accounts[m]) for m in found.members])

    def _v_org_member(self, org: str, login: str) -> Response:
        if login.lower() in self._org_or_404(org).members:
            return empty_response()
        raise ApiError(404, "User does not exist or is not a member of the organization")

    def _v_org_teams(self, org: str) -> Response:
        self._user()
        found = self._org_or_404(org)
        if not self._sees_teams_of(found.account.login):
            raise not_found()
        return paginate([self._team_json(t) for t in found.teams.values() if self._sees_team(t)])

    def _v_team(self, **where: Any) -> Response:
        return json_response(self._team_json(self._find_team(**where), full=True))

    def _v_team_members(self, **where: Any) -> Response:
        team = self._find_team(**where)
        role = request.args.get("role", "all")
        logins = [m for m, r in team.members.items() if role == "all" or r == role]
        return paginate([self._user_json(self._accounts[m]) for m in logins])

    def _v_team_member(self, login: str, **where: Any) -> Response:
        if login.lower() in self._find_team(**where).members:
            return empty_response()
        raise not_found()

    def _v_team_membership(self, login: str, **where: Any) -> Response:
        team = self._find_team(**where)
        role = team.members.get(login.lower())
        if role is None:
            raise not_found()
        return json_response(
            {
                "url": f"{self._team_url(team)}/memberships/{login}",
                "role": role,
                "state": "active",
            }
        )
