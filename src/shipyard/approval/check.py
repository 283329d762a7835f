"""mode: check: evaluate the issue of an issue_comment/issues event once (no runner held):
close it when decided and, when approved, start on-approved with workflow_dispatch."""

from __future__ import annotations

from datetime import datetime, timezone

from shipyard.runtime import ConfigError, InputError, VerdictFailure

from .body import MARKER_PREFIX, Request, parse_marker
from .decision import IssueData
from .report import ApprovalOutcome, progress
from .session import CHECK_API_BUDGET, Session
from .trust import Untrusted, request_initiators

_RELEVANT_EVENTS = ("issue_comment", "issues")


def event_issue(session: Session) -> int | None:
    """The issue to check: issue-number, else the event's issue; None when the event is not
    about an open approval issue (then nothing is done, without one API request)."""
    if session.settings.issue_number is not None:
        return session.settings.issue_number
    run = session.ctx.run
    payload = run.event.get("issue")
    if not isinstance(payload, dict) or run.event_name not in _RELEVANT_EVENTS:
        raise InputError(
            "issue-number",
            "is required: mode check evaluates the issue of an issue_comment or issues event, "
            f"and this run's event is '{run.event_name or 'none'}'.",
        )
    number = payload.get("number")
    why = ""
    if payload.get("pull_request"):
        why = "a comment on a pull request"
    elif MARKER_PREFIX not in str(payload.get("body") or ""):
        why = f"issue #{number} is not an approval"
    elif payload.get("state") == "closed":
        why = f"issue #{number} is closed"
    if why:
        session.ctx.runner.info(f"Nothing to do: {why}.")
        return None
    return int(str(number))


def run_check(session: Session) -> ApprovalOutcome | None:
    """Check mode (on an ``issue_comment`` event): judge the issue the comment is on once, close it
    when decided; None when the event is not about an approval request."""
    number = event_issue(session)
    if number is None:
        return None
    session.api.deadline = session.clock.now() + CHECK_API_BUDGET
    issue = session.read_issue(number)
    request = parse_marker(issue.body)
    if request is None or issue.state == "closed":
        state = "not an approval" if request is None else "already closed"
        session.ctx.runner.info(f"Nothing to do: issue #{number} is {state}.")
        return None
    policy = session.policy(list(trusted_initiators(session, issue, request)))
    comments = session.read_votes(number, issue.comments, policy)
    evaluation = session.judge(policy)(issue, comments)
    if not evaluation.decided:
        if expired(session, issue):
            return session.timed_out(issue, policy, evaluation)
        line = progress(evaluation, session.settings.minimum_approvals)
        session.ctx.runner.info(f"Issue #{number}: {line}; no decision yet.")
        return session.finish(
            ApprovalOutcome(
                status="pending", issue=issue, evaluation=evaluation, policy=policy, note=line + "."
            )
        )
    followup = ""
    if evaluation.status == "approved" and session.settings.on_approved:
        followup = dispatch(session, issue)
    return session.decided(issue, policy, evaluation, close=True, followup=followup)


def trusted_initiators(session: Session, issue: IssueData, request: Request) -> tuple[str, ...]:
    """Who started the run that asked, from sources a writer cannot edit; fails closed
    (exit 1) when the request cannot be trusted."""
    try:
        session.check_trust(issue)
        run = session.api.workflow_run(request.repository or session.repository, request.run_id)
        return request_initiators(issue.number, request, run)
    except Untrusted as exc:
        raise VerdictFailure(
            exc.message,
            title="Approval request not trusted",
            hint="Close the issue and request approval again; ask who edited it.",
        ) from None


def expired(session: Session, issue: IssueData) -> bool:
    """In check mode the timeout applies only when set: the issue is older than it."""
    timeout = session.settings.timeout
    if timeout is None:
        return False
    try:
        created = datetime.strptime(issue.created_at, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    age = session.epoch() - created.replace(tzinfo=timezone.utc).timestamp()
    return age > timeout


def dispatch(session: Session, issue: IssueData) -> str:
    """Start on-approved before closing: if it fails, the issue stays open and the next check
    (or a re-run) tries again."""
    settings = session.settings
    repository = session.ctx.run.repository or session.repository
    _changed, fresh = session.api.read_issue(session.repository, issue.number)
    if fresh.state == "closed":
        raise ConfigError(
            f"Issue #{issue.number} was closed by another run meanwhile; not starting "
            f"{settings.on_approved} twice.",
            hint="Use a concurrency group per issue for the check workflow.",
        )
    ref = settings.on_approved_ref or session.api.default_branch(repository)
    session.api.dispatch(repository, settings.on_approved, ref, settings.dispatch_inputs)
    session.ctx.runner.info(f"Started {settings.on_approved} on {ref} in {repository}.")
    return f"Started `{settings.on_approved}` on `{ref}`."
