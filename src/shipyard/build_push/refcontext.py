"""What the tags depend on: the event, the git ref, the commit and the time. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SHORT_SHA = 7


# ------------------------------------------------------------------------------------ context


@dataclass(frozen=True)
class RefContext:
    """What the tags depend on: the event, the git ref, the commit and the time."""

    event_name: str = ""
    ref: str = ""
    #: The commit the image is built from: the PR head on pull requests, not the merge commit.
    sha: str = ""
    default_branch: str = ""
    pr_number: int | None = None
    #: The PR's base branch; on a tag push, the branch the push payload names (``base_ref``).
    base_ref: str = ""
    head_ref: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    #: The commit's time ({{commit_date}}); the run's time when unknown.
    commit_time: datetime | None = None

    @property
    def branch(self) -> str:
        """The branch pushed to (``refs/heads/x``), else ''."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else ""

    @property
    def git_tag(self) -> str:
        """The tag pushed (``refs/tags/x``), else ''."""
        return self.ref.removeprefix("refs/tags/") if self.ref.startswith("refs/tags/") else ""

    @property
    def is_pull_request(self) -> bool:
        """Whether the run is for a pull request."""
        return self.ref.startswith("refs/pull/") or self.pr_number is not None

    @property
    def pr(self) -> str:
        """The pull request's number as text, else ''."""
        if self.pr_number is not None:
            return str(self.pr_number)
        if self.ref.startswith("refs/pull/"):
            return self.ref.removeprefix("refs/pull/").split("/", 1)[0]
        return ""

    @property
    def short_sha(self) -> str:
        """The commit, shortened as metadata-action does (7 characters)."""
        return self.sha[:SHORT_SHA]

    @property
    def is_default_branch(self) -> bool:
        """Whether the branch is the default one (main or master when the event does not say)."""
        if not self.branch:
            return False
        if self.default_branch:
            return self.branch == self.default_branch
        return self.branch in ("main", "master")


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _timestamp(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _pull_request_fields(
    pull: Mapping[str, Any], event: Mapping[str, Any]
) -> tuple[int | None, str, str, str]:
    """(number, head sha, head ref, base ref) of a pull_request payload."""
    number = pull.get("number", event.get("number"))
    pr_number = int(number) if isinstance(number, int | str) and str(number).isdigit() else None
    head = _mapping(pull.get("head"))
    base = _mapping(pull.get("base"))
    return (
        pr_number,
        str(head.get("sha") or ""),
        str(head.get("ref") or ""),
        str(base.get("ref") or ""),
    )


def context_from_event(
    *,
    event_name: str,
    ref: str,
    sha: str,
    event: Mapping[str, Any],
    head_ref: str = "",
    base_ref: str = "",
    now: datetime | None = None,
    commit_time: datetime | None = None,
) -> RefContext:
    """The RefContext of a workflow run, from GITHUB_* values and the event payload."""
    default_branch = str(_mapping(event.get("repository")).get("default_branch") or "")
    pull = event.get("pull_request")
    pr_number: int | None = None
    if isinstance(pull, Mapping):
        pr_number, head_sha, pr_head, pr_base = _pull_request_fields(pull, event)
        sha = head_sha or sha
        head_ref = head_ref or pr_head
        base_ref = base_ref or pr_base
        if event_name == "pull_request_target" and pr_number is not None:
            # The target event runs on the base branch; the tags are the PR's, as for PRs.
            ref = f"refs/pull/{pr_number}/merge"
    elif ref.startswith("refs/pull/"):
        part = ref.removeprefix("refs/pull/").split("/", 1)[0]
        pr_number = int(part) if part.isdigit() else None
    elif ref.startswith("refs/tags/") and not base_ref:
        # A tag push names the branch it was pushed from (when GitHub knows it).
        base_ref = str(event.get("base_ref") or "").removeprefix("refs/heads/")
    head_commit = _mapping(event.get("head_commit"))
    return RefContext(
        event_name=event_name,
        ref=ref,
        sha=sha,
        default_branch=default_branch,
        pr_number=pr_number,
        base_ref=base_ref,
        head_ref=head_ref,
        now=now or datetime.now(timezone.utc),
        commit_time=commit_time or _timestamp(head_commit.get("timestamp")),
    )
