"""One run of the approval action: its settings, its GitHub client, its clock, the issue it
keeps open, and the steps every mode shares (judging the comments, closing the issue,
reporting the result)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from shipyard.runtime import ActionContext, ExternalError, InputError, VerdictFailure
from shipyard.runtime.retry import Clock

from .body import decision_comment, format_duration, format_time, parse_checklist
from .body import timeout_comment as timeout_text
from .decision import Comment, Evaluation, IssueData, Policy, evaluate
from .github_api import GitHubApi, Refused, describe_failure
from .people import build_policy, resolve_approvers
from .report import ApprovalOutcome, Status, publish
from .spec import Settings
from .trust import check_request

CLOSE_BUDGET = 300.0
#: Wait for a decision, or one check: what each API call may wait for in all.
CHECK_API_BUDGET = 900.0


def open_session(ctx: ActionContext[Settings], clock: Clock, epoch: Callable[[], float]) -> Session:
    """The run's session: its repository and a GitHub client whose waits end at the timeout
    (closed by the cleanup stack)."""
    settings = ctx.settings
    repository = settings.target_repository or ctx.run.repository
    if not repository:
        raise InputError(
            "target-repository", "is required outside a workflow run (GITHUB_REPOSITORY is unset)."
        )
    started = clock.now()
    api = GitHubApi(
        settings.token,
        ctx.run.api_url,
        clock=clock,
        epoch=epoch,
        log=ctx.runner.info,
        deadline=started + settings.wait_seconds,
    )
    ctx.cleanup.push(api.close, "GitHub client")
    return Session(ctx, api, clock, epoch, repository, started)


class VoteReader:
    """Reads an issue and its comments for the waiting loop; for each comment that would
    approve, GitHub's record of edits too (an edited approval does not count)."""

    def __init__(self, api: GitHubApi, policy: Policy) -> None:
        self.api = api
        self.policy = policy

    def read_issue(self, repository: str, number: int) -> tuple[bool, IssueData]:
        """The issue, read conditionally (see :meth:`GitHubApi.read_issue`)."""
        return self.api.read_issue(repository, number)

    def read_comments(self, repository: str, number: int, count: int) -> list[Comment]:
        """The comments, with GitHub's record of edits for each that would approve."""
        comments = self.api.read_comments(repository, number, count)
        policy = self.policy
        votes = [
            c
            for c in comments
            if policy.can_approve(c.author) and policy.words.classify(c.body) == "approve"
        ]
        if not votes:
            return comments
        checked = {c.id: c for c in self.api.with_edits(votes)}
        return [checked.get(c.id, c) for c in comments]


@dataclass
class Session:
    """The state one run carries from mode to report."""

    ctx: ActionContext[Settings]
    api: GitHubApi
    clock: Clock
    epoch: Callable[[], float]
    repository: str
    started: float
    #: The issue this run created or waits on, while it is still open.
    open_issue: IssueData | None = None
    #: The request's nonce: finds an issue whose creation was cut short.
    nonce: str = ""
    #: Comments up to this id came before this run's request (an issue it did not open).
    after: int = 0

    @property
    def settings(self) -> Settings:
        """The step's settings."""
        return self.ctx.settings

    def now_iso(self) -> str:
        """The wall time now, ISO 8601 in UTC (for the comments)."""
        return datetime.fromtimestamp(self.epoch(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def policy(self, initiators: list[str]) -> Policy:
        """Who may approve (teams resolved to their members) and how many must, for this run's
        ``initiators``."""
        approvers = resolve_approvers(self.api, self.settings.approvers)
        return build_policy(self.settings, approvers, initiators)

    def judge(self, policy: Policy) -> Callable[[IssueData, list[Comment]], Evaluation]:
        """A function judging an issue's comments under ``policy`` (the checklist read from the
        issue's body)."""

        def judge(issue: IssueData, comments: list[Comment]) -> Evaluation:
            return evaluate(comments, policy, parse_checklist(issue.body), after=self.after)

        return judge

    def read_votes(self, number: int, count: int, policy: Policy) -> list[Comment]:
        """The issue's comments, with the edits of would-be approvals checked."""
        return VoteReader(self.api, policy).read_comments(self.repository, number, count)

    def read_issue(self, number: int) -> IssueData:
        """The issue ``number``; a missing one is an input error."""
        try:
            _changed, issue = self.api.read_issue(self.repository, number)
        except Refused as exc:
            if exc.status == 404:
                raise InputError(
                    "issue-number",
                    f"there is no issue #{number} in {self.repository} (or the token cannot "
                    "see it).",
                ) from None
            raise
        return issue

    def check_trust(self, issue: IssueData) -> None:
        """Raise Untrusted unless the issue was opened by the token's identity and its body
        is as the action wrote it (apart from ticked boxes)."""
        history = self.api.issue_history(self.repository, issue.number)
        check_request(issue.number, issue.body, history, self.api.whoami())

    # -- ending -----------------------------------------------------------------------------
    def decided(
        self,
        issue: IssueData,
        policy: Policy,
        evaluation: Evaluation,
        *,
        close: bool,
        followup: str = "",
    ) -> ApprovalOutcome:
        """The outcome of a decided issue (closed with a comment when ``close``), reported and
        ended."""
        if close:
            self.close_decided(issue, evaluation, followup)
        who = evaluation.approved_by if evaluation.status == "approved" else evaluation.denied_by
        note = (
            f"{'Approved' if evaluation.status == 'approved' else 'Denied'} by "
            f"{', '.join(who)} at {format_time(evaluation.decided_at)}."
        )
        status: Status = "approved" if evaluation.status == "approved" else "denied"
        return self.finish(
            ApprovalOutcome(
                status=status, issue=issue, evaluation=evaluation, policy=policy, note=note
            )
        )

    def close_decided(self, issue: IssueData, evaluation: Evaluation, followup: str) -> None:
        """Comment the decision and close the issue, with a fresh deadline of its own: the
        decision is in, closing must not be cut by the timeout nor by a cancel."""
        text = decision_comment(
            evaluation, self.settings.minimum_approvals, self.ctx.run.run_url, followup
        )
        reason = "completed" if evaluation.status == "approved" else "not_planned"
        api = self.api.bounded(max_wait=CLOSE_BUDGET, attempts=5, timeout=30.0)
        try:
            with self.ctx.cleanup.shielded(f"closing issue #{issue.number}"):
                api.comment(self.repository, issue.number, text)
                api.close_issue(self.repository, issue.number, reason)
        except ExternalError as exc:
            raise ExternalError(
                f"Could not close issue #{issue.number} ({evaluation.status}): {exc.message}",
                hint=f"Close it by hand: {issue.html_url}",
            ) from None
        finally:
            api.close()
        self.open_issue = None

    def timed_out(
        self, issue: IssueData, policy: Policy, evaluation: Evaluation | None
    ) -> ApprovalOutcome:
        """The outcome of a request nobody decided in time: the issue closed with a comment,
        reported and ended."""
        timeout = format_duration(self.settings.wait_seconds)
        self.last_words(issue, timeout_text(timeout, self.now_iso(), self.ctx.run.run_url))
        return self.finish(
            ApprovalOutcome(
                status="timed-out",
                issue=issue,
                evaluation=evaluation,
                policy=policy,
                note=f"No decision within {timeout}.",
            )
        )

    def last_words(self, issue: IssueData, text: str, api: GitHubApi | None = None) -> None:
        """Comment and close as not planned; a failure here is a warning, not a crash."""
        client = api or self.api.bounded(max_wait=60.0, attempts=3, timeout=10.0)
        try:
            with self.ctx.cleanup.shielded(f"closing issue #{issue.number}"):
                client.comment(self.repository, issue.number, text)
                client.close_issue(self.repository, issue.number, "not_planned")
            self.open_issue = None
        except (Refused, ExternalError) as exc:
            self.ctx.runner.annotate(
                "warning",
                f"Could not close approval issue #{issue.number} ({exc}); close it by hand: "
                f"{issue.html_url}",
            )
        finally:
            if api is None:
                client.close()

    def finish(self, result: ApprovalOutcome) -> ApprovalOutcome:
        """Report (outputs, summary), then end: approved returns; anything else fails the
        step (fail-on-denial) or leaves a notice."""
        publish(self.ctx, result)
        if result.status in ("approved", "pending"):
            if result.note and result.status == "approved":
                self.ctx.runner.info(result.note)
            return result
        title = f"Approval {result.title.lower()}"
        if self.settings.fail_on_denial:
            raise VerdictFailure(result.note, title=title)
        self.ctx.runner.annotate("notice", result.note, title=title)
        return result

    def explain(self, exc: Exception) -> str:
        """A failure in plain words, redacted, for the comment that closes the issue."""
        if isinstance(exc, Refused):
            reason = describe_failure(exc, self.repository).message
        else:
            reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return self.ctx.runner.redact(str(reason))
