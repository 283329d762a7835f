"""What a token lets its bearer do, and GitHub's answers when it does not.

GitHub has two models, and the emulator has both:

- A **classic personal access token** (or OAuth app token) carries OAuth *scopes*. Every
  answer names them in ``X-OAuth-Scopes`` and names the scopes the endpoint checks in
  ``X-Accepted-OAuth-Scopes``. A scope only limits what its user may do: a token with
  ``repo`` still cannot write where its user cannot. Public data needs no scope; a private
  repository needs ``repo``; writing to a public one ``public_repo`` (``repo`` includes it);
  an organization's teams need ``read:org`` (``write:org`` and ``admin:org`` include it). A
  missing scope is answered ``404 Not Found``, as GitHub answers for what a caller may not
  see ("404 Not Found for an existing resource", in "Troubleshooting the REST API").
- An **installation token** (the job's ``GITHUB_TOKEN``, a GitHub App's token) carries a
  *permission* per kind of resource (``issues``, ``pull_requests``, ``actions``,
  ``contents``, ``metadata``, ``members``...), each ``read`` or ``write`` (``metadata: read``
  always), on the repositories it was given (``GITHUB_TOKEN``: the workflow's own). It has no
  scopes (no ``X-OAuth-Scopes``); answers name what the endpoint needs in
  ``X-Accepted-GitHub-Permissions`` (``pull_requests=read; contents=read``: either set). A
  missing permission on one of its repositories is ``403 Resource not accessible by
  integration``; a private repository it was not given is ``404``; a public one it can
  read, but not write (403). It is not a user: ``GET /user`` is 403, and it reads an
  organization's teams only with ``members: read`` on that organization, which a
  ``GITHUB_TOKEN`` never has.

Each route declares the kind of resource it touches (``route(..., permission="issues")``, see
``core.py``); a GET or HEAD needs ``read``, any other method ``write``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tests.services.github_api.wire import ApiError, not_found

INTEGRATION = "Resource not accessible by integration"
DEFAULT_SCOPES = ("repo", "workflow", "read:org")
"""A token made without scopes (``add_user(token=...)``, ``add_token``) has these: full access."""

IMPLIED: Mapping[str, frozenset[str]] = {
    "repo": frozenset({"public_repo", "repo:status", "repo_deployment", "repo:invite"}),
    "admin:org": frozenset({"write:org", "read:org"}),
    "write:org": frozenset({"read:org"}),
    "user": frozenset({"read:user", "user:email", "user:follow"}),
    "admin:repo_hook": frozenset({"write:repo_hook", "read:repo_hook"}),
    "write:repo_hook": frozenset({"read:repo_hook"}),
}
"""Scopes that include others, as GitHub's "Available scopes" lists them."""

PERMISSIONS = frozenset(
    {
        "actions",
        "checks",
        "contents",
        "deployments",
        "issues",
        "members",
        "metadata",
        "packages",
        "pages",
        "pull_requests",
        "security_events",
        "statuses",
    }
)
LEVELS = {"none": 0, "read": 1, "write": 2}

USER = "user"
"""The ``permission`` of a route about the authenticated user (``GET /user``)."""
MEMBERS = "members"
"""The ``permission`` of a route about an organization's teams."""


@dataclass(frozen=True)
class Grant:
    """What one token may do: a classic token's ``scopes``, or an installation token's
    ``permissions`` on ``repositories`` (lower-case full names) of the account ``owner``."""

    kind: str = "classic"  # or "installation"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    permissions: Mapping[str, str] = field(default_factory=dict)
    repositories: frozenset[str] = frozenset()
    owner: str = ""
    core_limit: int = 5000

    @classmethod
    def classic(cls, scopes: Iterable[str] | None = None) -> Grant:
        """A classic personal access token with ``scopes`` (None: full access)."""
        chosen = DEFAULT_SCOPES if scopes is None else tuple(s.strip() for s in scopes)
        return cls("classic", tuple(s for s in chosen if s))

    @classmethod
    def installation(
        cls,
        repositories: Iterable[str],
        permissions: Mapping[str, str],
        *,
        core_limit: int = 1000,
    ) -> Grant:
        """An installation token (a ``GITHUB_TOKEN`` when ``repositories`` is the workflow's
        one); ``permissions`` as a workflow's ``permissions:`` writes them."""
        repos = frozenset(r.lower() for r in repositories)
        owners = {r.split("/")[0] for r in repos}
        if len(owners) != 1:
            raise ValueError("an installation token is for repositories of one account")
        levels: dict[str, str] = {}
        for name, level in permissions.items():
            key = name.replace("-", "_")
            if key not in PERMISSIONS or level not in LEVELS:
                raise ValueError(f"not a GitHub permission: {name}: {level}")
            levels[key] = level
        levels.setdefault("metadata", "read")
        return cls("installation", (), levels, repos, owners.pop(), core_limit)

    @property
    def installation_token(self) -> bool:
        return self.kind == "installation"

    def has_scope(self, *wanted: str) -> bool:
        """Whether the token has one of ``wanted``, itself or through a scope that includes it."""
        held = set(self.scopes)
        for scope in self.scopes:
            held |= IMPLIED.get(scope, frozenset())
        return any(w in held for w in wanted)

    def allows(self, permission: str, access: str) -> bool:
        """Whether the installation token has ``permission`` at ``access`` (read/write) or more."""
        return LEVELS[self.permissions.get(permission, "none")] >= LEVELS[access]

    def reaches(self, repo: str) -> bool:
        """Whether the installation token was given repository ``repo`` (owner/name)."""
        return repo.lower() in self.repositories

    def to_dict(self) -> dict[str, object]:
        """The grant as ``/_emulator/tokens`` lists it."""
        if self.installation_token:
            return {
                "kind": self.kind,
                "repositories": sorted(self.repositories),
                "permissions": dict(self.permissions),
            }
        return {"kind": self.kind, "scopes": list(self.scopes)}


@dataclass(frozen=True)
class Verdict:
    """What a grant check decided: the headers that say what was needed, and the refusal."""

    headers: Mapping[str, str]
    refusal: ApiError | None = None


def _refuse(status_404: bool, headers: dict[str, str]) -> Verdict:
    error = not_found() if status_404 else ApiError(403, INTEGRATION)
    error.headers.update(headers)
    return Verdict(headers, error)


def check_repo(
    grant: Grant, permission: str | tuple[str, ...], access: str, repo: str, private: bool
) -> Verdict:
    """May ``grant`` do ``access`` (read/write) on ``permission`` of repository ``repo``?"""
    alternatives = (permission,) if isinstance(permission, str) else permission
    if not grant.installation_token:
        accepted = "public_repo, repo" if access == "write" and not private else "repo"
        headers = {"X-Accepted-OAuth-Scopes": accepted}
        needs_scope = private or access == "write"
        if needs_scope and not grant.has_scope(*accepted.split(", ")):
            return _refuse(True, headers)
        return Verdict(headers)
    needed = "; ".join(f"{p}={access}" for p in alternatives)
    headers = {"X-Accepted-GitHub-Permissions": needed}
    if not grant.reaches(repo):
        if private:
            return _refuse(True, headers)
        return Verdict(headers) if access == "read" else _refuse(False, headers)
    if any(grant.allows(p, access) for p in alternatives):
        return Verdict(headers)
    return _refuse(False, headers)


def check_members(grant: Grant, access: str) -> Verdict:
    """May ``grant`` read (or change) an organization's teams? (Org membership is the view's.)"""
    if grant.installation_token:
        headers = {"X-Accepted-GitHub-Permissions": f"members={access}"}
        return Verdict(headers) if grant.allows("members", access) else _refuse(False, headers)
    accepted = "admin:org, read:org, write:org" if access == "read" else "admin:org, write:org"
    headers = {"X-Accepted-OAuth-Scopes": accepted}
    if grant.has_scope(*accepted.split(", ")):
        return Verdict(headers)
    return _refuse(True, headers)


def check_user(grant: Grant) -> Verdict:
    """``GET /user``: any classic token; never an installation token (it is not a user)."""
    if grant.installation_token:
        return _refuse(False, {})
    return Verdict({"X-Accepted-OAuth-Scopes": ""})
