"""mode: wait: open the issue (or take issue-number) and wait in the job for the decision.

Once an issue exists the run never ends without closing it (decided, timed out, cancelled by
SIGINT/SIGTERM, or stopped by a failure), unless GitHub itself cannot be reached.
"""

from __future__ import annotations

from shipyard.runtime import ExternalError, InputError

from .body import cancelled_comment, format_duration, parse_marker, stopped_comment
from .decision import IssueData, Policy
from .github_api import GitHubApi, Refused
from .people import merge_people, started_by
from .report import ApprovalOutcome
from .request import create, request_text
from .session import Session, VoteReader
from .trust import Untrusted
from .waiting import wait_for_decision

JOB_LIMIT = 6 * 3600.0


def run_wait(session: Session) -> ApprovalOutcome:
    """Wait mode: open the issue (or take the one ``issue-number`` names), wait for a decision,
    report it; a failure or a cancel closes the issue this run opened."""
    policy: Policy | None = None
    try:
        if session.settings.issue_number is None:
            initiators = started_by(session.ctx.run)
            policy = session.policy(initiators)
            issue = create(session, policy, initiators)
        else:
            issue, policy = take_issue(session, session.settings.issue_number)
            if issue.state == "closed":
                return report_closed(session, issue, policy)
        session.ctx.runner.info(f"Approval issue: {issue.html_url}")
        session.open_issue = issue
        return wait(session, issue, policy)
    except KeyboardInterrupt:
        if policy is None:
            raise
        return cancelled(session, policy)
    except Exception as exc:
        # anything unexpected once the issue exists: say so on it and close it
        if session.open_issue is not None:
            text = stopped_comment(session.explain(exc), session.now_iso(), session.ctx.run.run_url)
            session.last_words(session.open_issue, text)
        raise


def take_issue(session: Session, number: int) -> tuple[IssueData, Policy]:
    """The issue to wait on, and the policy: its request's initiators count with this run's.
    An issue without a trusted request of this action is refused, unless allow-foreign-issue:
    then this run comments its request and only later comments count."""
    issue = session.read_issue(number)
    request = parse_marker(issue.body)
    why = f"Issue #{number} is not an approval request of this action"
    if request is not None:
        try:
            session.check_trust(issue)
        except Untrusted as exc:
            request, why = None, exc.message.removesuffix(".")
    initiators = merge_people(
        [*(request.initiators if request else ()), *started_by(session.ctx.run)]
    )
    policy = session.policy(initiators)
    if request is None:
        adopt(session, issue, policy, initiators, why)
    return issue, policy


def adopt(
    session: Session, issue: IssueData, policy: Policy, initiators: list[str], why: str
) -> None:
    """Wait on an issue this action did not open: post this run's request; only comments
    after it count."""
    if not session.settings.allow_foreign_issue:
        raise InputError(
            "issue-number",
            f"{why}: waiting on it would count comments made before this run asked. Set "
            "allow-foreign-issue: true to post this run's request on the issue and count only "
            "the comments after it.",
        )
    if issue.state == "closed":
        raise InputError("issue-number", f"{why}, and it is closed.")
    session.ctx.runner.annotate(
        "warning", f"{why}; posting this run's request on it: only comments after it count."
    )
    body, _version = request_text(session, policy, initiators)
    session.after = session.api.comment(session.repository, issue.number, body)


def wait(session: Session, issue: IssueData, policy: Policy) -> ApprovalOutcome:
    """Poll the issue until it is decided, closed or the timeout, with a heartbeat in the log."""
    settings, runner = session.settings, session.ctx.runner
    deadline = session.started + settings.wait_seconds
    if settings.wait_seconds > JOB_LIMIT:
        runner.info(
            f"Note: jobs on GitHub-hosted runners stop after 6h; timeout is "
            f"{format_duration(settings.wait_seconds)}. Use mode: request and mode: check to "
            "wait longer with no runner held."
        )
    runner.info(
        f"Waiting up to {format_duration(max(0.0, deadline - session.clock.now()))} for "
        f"{settings.minimum_approvals} approval(s) on issue #{issue.number}, polling every "
        f"{format_duration(settings.poll_interval)}."
    )
    result = wait_for_decision(
        VoteReader(session.api, policy),
        session.repository,
        issue.number,
        session.judge(policy),
        clock=session.clock,
        deadline=deadline,
        poll_interval=settings.poll_interval,
        minimum=settings.minimum_approvals,
        log=runner.info,
    )
    latest = result.issue or issue
    if result.end == "decided" and result.evaluation is not None:
        return session.decided(latest, policy, result.evaluation, close=True)
    if result.end == "closed":
        session.open_issue = None
        note = f"Issue #{latest.number} was closed by someone before a decision."
        return session.finish(
            ApprovalOutcome(
                status="cancelled",
                issue=latest,
                evaluation=result.evaluation,
                policy=policy,
                note=note,
            )
        )
    return session.timed_out(latest, policy, result.evaluation)


def cancelled(session: Session, policy: Policy) -> ApprovalOutcome:
    """On cancellation: comment and close the issue (found by its nonce if the run was
    cancelled while creating it)."""
    session.ctx.runner.info("Cancelled before a decision.")
    issue = session.open_issue
    api = session.api.bounded(max_wait=5.0, attempts=2, timeout=5.0)
    try:
        with session.ctx.cleanup.shielded("closing the approval issue"):
            if issue is None and session.nonce:
                issue = find_quietly(session, api)
            if issue is not None:
                text = cancelled_comment(session.now_iso(), session.ctx.run.run_url)
                session.last_words(issue, text, api)
    finally:
        api.close()
    note = "The workflow run was cancelled before a decision."
    return session.finish(
        ApprovalOutcome(status="cancelled", issue=issue, policy=policy, note=note)
    )


def find_quietly(session: Session, api: GitHubApi) -> IssueData | None:
    """The issue this run's nonce names, if one was created before a cut; None on any failure."""
    try:
        return api.find_request(session.repository, session.nonce)
    except (Refused, ExternalError):
        return None


def report_closed(session: Session, issue: IssueData, policy: Policy) -> ApprovalOutcome:
    """``wait`` on an issue that is already closed: report its decision, if any."""
    comments = session.read_votes(issue.number, issue.comments, policy)
    evaluation = session.judge(policy)(issue, comments)
    if evaluation.decided:
        return session.decided(issue, policy, evaluation, close=False)
    return session.finish(
        ApprovalOutcome(
            status="cancelled",
            issue=issue,
            evaluation=evaluation,
            policy=policy,
            note=f"Issue #{issue.number} is closed without a decision.",
        )
    )
