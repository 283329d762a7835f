"""The waiting loop: poll the issue until its comments decide, it is closed, or time is up.

Each poll is one conditional request for the issue (a 304 when nothing changed, which costs no
rate limit). The comments are read again, every page, when the issue changed (a new comment
changes its ``comments`` count and ``updated_at``) and every few polls in any case, to notice
edited comments; those reads are conditional too. Time comes from an injectable clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from shipyard.runtime import ExternalError
from shipyard.runtime.retry import Clock

from .body import format_duration
from .decision import Comment, Evaluation, IssueData
from .report import progress

WaitEnd = Literal["decided", "timed-out", "closed"]
HEARTBEAT = 600.0


class IssueReader(Protocol):
    """What the waiting loop reads: the issue and its comments."""

    def read_issue(self, repository: str, number: int) -> tuple[bool, IssueData]:
        """(changed since the last read?, the issue)."""

    def read_comments(self, repository: str, number: int, count: int) -> list[Comment]:
        """The comments of the issue, ``count`` of them known to exist."""


@dataclass(frozen=True)
class WaitResult:
    """How the wait ended (decided, timed out, closed by someone), with the last evaluation and
    issue read and the number of polls."""

    end: WaitEnd
    evaluation: Evaluation | None
    issue: IssueData | None
    polls: int


def wait_for_decision(
    reader: IssueReader,
    repository: str,
    number: int,
    judge: Callable[[IssueData, list[Comment]], Evaluation],
    *,
    clock: Clock,
    deadline: float,
    poll_interval: float,
    minimum: int,
    log: Callable[[str], None],
    sweep_every: int = 4,
    max_outage: float = 600.0,
) -> WaitResult:
    """Poll until decided, closed by someone, or ``deadline`` (epoch seconds) has passed.

    A poll that fails after the client's own retries (or a rate limit that would outlast the
    deadline) is logged and tried again at the next poll; GitHub unreachable for
    ``max_outage`` seconds ends the wait with ExternalError. ``deadline`` is a
    ``clock.now()`` value."""
    polls = 0
    comments: list[Comment] | None = None
    issue: IssueData | None = None
    evaluation: Evaluation | None = None
    last_line = ""
    outage_since: float | None = None
    next_heartbeat = clock.now() + HEARTBEAT
    while True:
        try:
            changed, issue = reader.read_issue(repository, number)
            if changed or comments is None or polls % sweep_every == 0:
                comments = reader.read_comments(repository, number, issue.comments)
            outage_since = None
        except ExternalError as exc:
            if comments is None:
                raise
            now = clock.now()
            outage_since = now if outage_since is None else outage_since
            if now - outage_since >= max_outage:
                raise
            log(f"{exc.message} Trying again at the next poll.")
        else:
            evaluation = judge(issue, comments)
            if evaluation.decided:
                return WaitResult("decided", evaluation, issue, polls)
            if issue.state == "closed":
                return WaitResult("closed", evaluation, issue, polls)
            line = progress(evaluation, minimum)
            if line != last_line:
                log(f"Issue #{number}: {line}.")
                last_line = line
        now = clock.now()
        if now >= deadline:
            return WaitResult("timed-out", evaluation, issue, polls)
        if now >= next_heartbeat:
            log(f"Still waiting on issue #{number}: {format_duration(deadline - now)} left.")
            next_heartbeat = now + HEARTBEAT
        clock.sleep(min(poll_interval, max(0.0, deadline - now)))
        polls += 1
