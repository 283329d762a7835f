"""Who may approve, and what the comments on an approval issue decide. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .words import Verdict, Words

Status = Literal["pending", "approved", "denied"]

REASON_OUTSIDER = "not an approver"
REASON_INITIATOR = "started the run, so cannot approve it"
REASON_NOT_A_WORD = "not an approve or deny word"
REASON_EDITED = "edited after posting (post a new comment instead)"
REASON_BEFORE = "posted before the approval request"


def edited_reason(editor: str) -> str:
    """Why an edited approval does not count, naming who edited it when known."""
    if not editor:
        return REASON_EDITED
    return f"edited by {editor} after posting (post a new comment instead)"


@dataclass(frozen=True)
class Comment:
    """One issue comment as the API returns it. Timestamps are ISO 8601 UTC strings.

    ``last_edited_at``/``editor`` come from GitHub's record of edits (GraphQL
    ``lastEditedAt``/``editor``), not from ``updated_at``: saving the same text again is no
    edit, and an edit within the second the comment was posted is one."""

    id: int
    author: str
    body: str
    created_at: str
    updated_at: str = ""
    url: str = ""
    node_id: str = ""
    last_edited_at: str = ""
    editor: str = ""

    @property
    def edited(self) -> bool:
        """Changed after it was posted: its text may not be what its author wrote."""
        return bool(self.last_edited_at)


@dataclass(frozen=True)
class IssueData:
    """The fields of an issue the action uses."""

    number: int
    title: str
    state: str
    body: str
    comments: int
    html_url: str
    author: str
    created_at: str
    updated_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IssueData:
        """An issue from the REST API's JSON."""
        user = data.get("user") or {}
        return cls(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            state=str(data.get("state") or "open"),
            body=str(data.get("body") or ""),
            comments=int(data.get("comments") or 0),
            html_url=str(data.get("html_url") or ""),
            author=str(user.get("login") or "") if isinstance(user, dict) else "",
            created_at=str(data.get("created_at") or ""),
            updated_at=str(data.get("updated_at") or ""),
        )


@dataclass(frozen=True)
class Approver:
    """A person who is listed as an approver, directly or through a team (``via``)."""

    login: str
    via: str = ""


@dataclass(frozen=True)
class Checklist:
    """The checkboxes of the issue body."""

    total: int = 0
    ticked: int = 0

    @property
    def complete(self) -> bool:
        """Every box ticked (true when there are none)."""
        return self.ticked >= self.total


@dataclass(frozen=True)
class Policy:
    """The rules of one approval: who, how many, which words, whether the checklist gates."""

    approvers: tuple[Approver, ...]
    minimum: int = 1
    initiators: frozenset[str] = frozenset()
    exclude_initiator: bool = True
    words: Words = field(default_factory=Words)
    require_checklist: bool = False

    def is_initiator(self, login: str) -> bool:
        """Whether ``login`` started the run that asks (case-insensitive)."""
        return login.lower() in self.initiators

    def can_approve(self, login: str) -> bool:
        """Listed (directly or through a team), and not excluded as the run's initiator."""
        lowered = login.lower()
        if self.exclude_initiator and lowered in self.initiators:
            return False
        return any(a.login.lower() == lowered for a in self.approvers)

    def eligible(self) -> list[Approver]:
        """Everyone who can approve, once each, in the order listed."""
        seen: set[str] = set()
        out: list[Approver] = []
        for approver in self.approvers:
            lowered = approver.login.lower()
            if lowered in seen or not self.can_approve(approver.login):
                continue
            seen.add(lowered)
            out.append(approver)
        return out

    def excluded(self) -> list[Approver]:
        """Listed approvers who cannot approve because they started the run."""
        if not self.exclude_initiator:
            return []
        seen: set[str] = set()
        out: list[Approver] = []
        for approver in self.approvers:
            lowered = approver.login.lower()
            if lowered in self.initiators and lowered not in seen:
                seen.add(lowered)
                out.append(approver)
        return out


@dataclass(frozen=True)
class Vote:
    """One approver's counted vote: who, approve or deny, when, and the comment's link."""

    login: str
    verdict: Verdict
    at: str
    url: str = ""


@dataclass(frozen=True)
class Ignored:
    """A comment that did not count, and why (shown in the summary, escaped)."""

    author: str
    body: str
    reason: str
    url: str = ""


@dataclass(frozen=True)
class Evaluation:
    """What the comments decide so far."""

    status: Status
    votes: tuple[Vote, ...] = ()
    ignored: tuple[Ignored, ...] = ()
    decided_at: str = ""
    checklist: Checklist = Checklist()
    #: Enough approvals, but the required checklist is not complete yet.
    waiting_for_checklist: bool = False

    @property
    def decided(self) -> bool:
        """Approved or denied (not pending)."""
        return self.status != "pending"

    @property
    def approved_by(self) -> list[str]:
        """Who approved, in the order they did."""
        return [v.login for v in self.votes if v.verdict == "approve"]

    @property
    def denied_by(self) -> list[str]:
        """Who denied."""
        return [v.login for v in self.votes if v.verdict == "deny"]

    def vote_of(self, login: str) -> Vote | None:
        """The counted vote of ``login`` (case-insensitive), if any."""
        lowered = login.lower()
        return next((v for v in self.votes if v.login.lower() == lowered), None)


def _ordered(comments: Iterable[Comment]) -> list[Comment]:
    return sorted(comments, key=lambda c: (c.created_at, c.id))


def evaluate(
    comments: Sequence[Comment],
    policy: Policy,
    checklist: Checklist | None = None,
    *,
    after: int = 0,
) -> Evaluation:
    """Read the comments in the order they were posted; the decision is taken at the first
    comment that makes it: a deny from anyone who can approve, or the approval that reaches
    ``policy.minimum`` different approvers (only while the checklist is complete, when it is
    required). Each approver counts once; everything else is listed as ignored. An edited
    approval does not count; an edited denial still denies. Comments up to the one with id
    ``after`` (the action's own request comment) came before the request and do not count."""
    checklist = checklist or Checklist()
    gate_open = checklist.complete or not policy.require_checklist
    votes: list[Vote] = []
    ignored: list[Ignored] = []
    approvals: list[str] = []
    for comment in _ordered(comments):
        verdict = policy.words.classify(comment.body)
        login = comment.author
        if comment.id <= after:
            ignored.append(Ignored(login, comment.body, REASON_BEFORE, comment.url))
            continue
        if not policy.can_approve(login):
            listed = any(a.login.lower() == login.lower() for a in policy.approvers)
            reason = (
                REASON_INITIATOR
                if listed and policy.is_initiator(login) and policy.exclude_initiator
                else REASON_OUTSIDER
            )
            ignored.append(Ignored(login, comment.body, reason, comment.url))
            continue
        if verdict is None:
            ignored.append(Ignored(login, comment.body, REASON_NOT_A_WORD, comment.url))
            continue
        if comment.edited and verdict == "approve":
            reason = edited_reason(comment.editor)
            ignored.append(Ignored(login, comment.body, reason, comment.url))
            continue
        if verdict == "deny":
            votes = [v for v in votes if v.login.lower() != login.lower()]
            votes.append(Vote(login, "deny", comment.created_at, comment.url))
            return Evaluation(
                "denied",
                tuple(votes),
                tuple(ignored),
                comment.created_at,
                checklist=checklist,
            )
        if login.lower() in approvals:
            continue  # each approver counts once
        approvals.append(login.lower())
        votes.append(Vote(login, "approve", comment.created_at, comment.url))
        if len(approvals) >= policy.minimum and gate_open:
            return Evaluation(
                "approved",
                tuple(votes),
                tuple(ignored),
                comment.created_at,
                checklist=checklist,
            )
    return Evaluation(
        "pending",
        tuple(votes),
        tuple(ignored),
        checklist=checklist,
        waiting_for_checklist=len(approvals) >= policy.minimum and not gate_open,
    )
