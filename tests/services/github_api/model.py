"""The GitHub emulator's state: accounts, orgs and teams, and repositories with what they hold
(labels, issues and comments with their edit history, commits, workflows and runs, pull request
files, releases), plus the primary rate limit's buckets. Plain dataclasses; the API modules read
and change them, and render them as GitHub's JSON."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def utc_now() -> str:
    """Now, as GitHub writes timestamps (``2024-05-01T12:00:00Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Account:
    """A user, bot or organization account."""

    id: int
    login: str
    type: str = "User"
    name: str | None = None
    email: str | None = None
    site_admin: bool = False
    created_at: str = field(default_factory=utc_now)


@dataclass
class Team:
    """A team of an organization; ``members`` maps a lower-case login to its role."""

    id: int
    org: str
    slug: str
    name: str
    description: str | None = None
    privacy: str = "closed"
    members: dict[str, str] = field(default_factory=dict)  # lower login -> role
    created_at: str = field(default_factory=utc_now)


@dataclass
class Org:
    """An organization: its account, members (lower-case logins) and teams by slug."""

    account: Account
    members: list[str] = field(default_factory=list)  # lower logins
    teams: dict[str, Team] = field(default_factory=dict)  # slug -> team


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Comment:
    """A comment on an issue."""

    id: int
    issue_number: int
    user: str
    body: str
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    #: GraphQL ``userContentEdits``, oldest first (the first one holds the original text).
    edits: list[Edit] = field(default_factory=list)


@dataclass
class Edit:
    """One revision of an issue's or a comment's text, as GraphQL ``UserContentEdit``."""

    id: int
    edited_at: str
    editor: str
    diff: str


@dataclass
class Issue:
    """An issue; ``labels`` and ``assignees`` hold names and logins as GitHub spells them."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    labels: list[str] = field(default_factory=list)  # label names (canonical case)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    locked: bool = False
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    closed_at: str | None = None
    closed_by: str | None = None
    comment_count: int = 0
    edits: list[Edit] = field(default_factory=list)


@dataclass
class Commit:
    """A commit; ``seq`` orders commits by creation, ``files`` are the paths it changed."""

    sha: str
    message: str
    parents: list[str]
    author: str | None = None
    author_name: str = "Shipyard Test"
    author_email: str = "test@shipyard.invalid"
    date: str = field(default_factory=utc_now)
    files: list[str] = field(default_factory=list)
    seq: int = 0


@dataclass
class Workflow:
    """A workflow file and its ``workflow_dispatch`` inputs (None: any inputs are accepted)."""

    id: int
    name: str
    path: str
    state: str = "active"
    inputs: dict[str, dict[str, Any]] | None = None
    dispatchable: bool = True
    created_at: str = field(default_factory=utc_now)


@dataclass
class Run:
    """A workflow run, as ``GET /repos/{o}/{r}/actions/runs/{id}`` returns it."""

    id: int
    name: str
    path: str
    actor: str
    triggering_actor: str
    head_sha: str
    head_branch: str
    event: str = "push"
    status: str = "in_progress"
    conclusion: str | None = None
    run_number: int = 1
    run_attempt: int = 1
    created_at: str = field(default_factory=utc_now)


@dataclass
class Release:
    """A release; ``seq`` orders releases by creation."""

    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    author: str
    draft: bool = False
    prerelease: bool = False
    created_at: str = ""
    published_at: str | None = None
    seq: int = 0


@dataclass
class ReleaseStore:
    """The releases of one repository, by id."""

    by_id: dict[int, Release] = field(default_factory=dict)

    def published(self, tag: str) -> Release | None:
        """The published (non-draft) release of ``tag``, if any."""
        return next(
            (r for r in self.by_id.values() if r.tag_name == tag and not r.draft),
            None,
        )

    def newest_first(self) -> list[Release]:
        """All releases, the newest first."""
        return sorted(self.by_id.values(), key=lambda r: -r.seq)


@dataclass
class Repo:
    """A repository and all it holds."""

    id: int
    owner: str
    name: str
    private: bool = False
    description: str | None = None
    default_branch: str = "main"
    created_at: str = field(default_factory=utc_now)
    collaborators: dict[str, str] = field(default_factory=dict)  # lower login -> permission
    labels: dict[str, Label] = field(default_factory=dict)  # lower name -> label
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    workflows: dict[int, Workflow] = field(default_factory=dict)
    dispatches: list[dict[str, Any]] = field(default_factory=list)
    next_number: int = 1
    runs: dict[int, Run] = field(default_factory=dict)
    pull_files: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # PR -> files
    releases: ReleaseStore = field(default_factory=ReleaseStore)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"


@dataclass
class RateLimit:
    """One rate-limit bucket: ``limit`` units per ``window`` seconds."""

    limit: int = 5000
    used: int = 0
    reset_at: int = 0
    window: int = 3600

    def refresh(self) -> None:
        """Refill the bucket once its reset time has passed."""
        now = time.time()
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = math.ceil(now) + self.window

    @property
    def remaining(self) -> int:
        """Units left before the reset."""
        return max(self.limit - self.used, 0)

    def to_dict(self) -> dict[str, int]:
        """The bucket as ``/rate_limit`` shows it."""
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "reset": self.reset_at,
        }


RESOURCES = ("core", "search", "graphql", "integration_manifest", "code_search")
"""The rate-limit resources ``/rate_limit`` lists; the emulator charges ``core`` and
``graphql``."""

LIMITS: dict[str, dict[str, int]] = {
    "user": {"search": 30, "graphql": 5000, "integration_manifest": 5000, "code_search": 10},
    "anonymous": {"core": 60, "search": 10, "graphql": 0, "integration_manifest": 5000},
}
"""Each resource's limit per hour (search: per minute) for a user's token and for anonymous
callers (``code_search`` 0: it needs a token); a token's ``core`` limit is its grant's."""


@dataclass
class RateOverride:
    """What a test set for every caller's bucket of one resource (None: left alone)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: int | None = None

    def apply(self, bucket: RateLimit) -> None:
        """Set ``bucket`` as the test asked; ``remaining`` holds until ``reset_at``."""
        bucket.refresh()
        if self.limit is not None:
            bucket.limit = self.limit
        if self.reset_at is not None and self.reset_at <= time.time():
            return
        if self.remaining is not None:
            bucket.used = max(bucket.limit - self.remaining, 0)
        if self.reset_at is not None:
            bucket.reset_at = self.reset_at


@dataclass
class RateBuckets:
    """The primary rate limit: one bucket per caller (a token, or all anonymous callers as
    ``""``) and resource, filled on first use."""

    buckets: dict[tuple[str, str], RateLimit] = field(default_factory=dict)
    overrides: dict[str, RateOverride] = field(default_factory=dict)

    def get(self, caller: str, resource: str, limit: int) -> RateLimit:
        """The (refreshed) bucket of ``caller`` for ``resource``; new ones hold ``limit``."""
        bucket = self.buckets.get((caller, resource))
        if bucket is None:
            bucket = self.buckets[(caller, resource)] = RateLimit(limit=limit)
            override = self.overrides.get(resource)
            if override is not None:
                override.apply(bucket)
        bucket.refresh()
        return bucket

    def override(self, resource: str, override: RateOverride) -> None:
        """Set every bucket of ``resource``, those that exist and those made later."""
        self.overrides[resource] = override
        for (_caller, kind), bucket in self.buckets.items():
            if kind == resource:
                override.apply(bucket)
