"""mode: request (and the start of mode: wait): write the request and open the issue."""

from __future__ import annotations

import uuid

from shipyard.runtime import ExternalError, InputError

from .body import (
    BodyParts,
    Changes,
    Request,
    default_title,
    format_duration,
    parse_checklist,
    previous_release,
    render_body,
)
from .decision import IssueData, Policy
from .github_api import Refused
from .people import started_by
from .report import ApprovalOutcome
from .session import Session

MAX_ASSIGNEES = 10


def run_request(session: Session) -> ApprovalOutcome:
    """Open the issue and return at once (status pending)."""
    initiators = started_by(session.ctx.run)
    policy = session.policy(initiators)
    issue = create(session, policy, initiators)
    session.ctx.runner.info(f"Approval issue: {issue.html_url}")
    return session.finish(ApprovalOutcome(status="pending", issue=issue, policy=policy))


def version(session: Session) -> str:
    """What is being approved: the ``version`` input, else the tag, else the short commit."""
    run = session.ctx.run
    if session.settings.version:
        return session.settings.version
    if run.ref.startswith("refs/tags/") or not run.sha:
        return run.ref_name
    return run.short_sha


def changes(session: Session, named: str) -> Changes | None:
    """Commits since the previous release tag of this repository, when there is one."""
    run = session.ctx.run
    if not (run.repository and run.sha):
        return None
    try:
        base = previous_release(session.api.tags(run.repository), named, run.sha)
        if base is None:
            return None
        count, titles, url = session.api.compare(run.repository, base, run.sha)
    except (Refused, ExternalError) as exc:
        session.ctx.runner.debug(f"No list of changes: {exc}")
        return None
    url = url or f"{run.repository_url}/compare/{base}...{run.sha}"
    return Changes(base, url, count, tuple(titles))


def request_text(session: Session, policy: Policy, initiators: list[str]) -> tuple[str, str]:
    """The request (issue body, or comment on an issue the action did not open) with its
    marker, and the version it names."""
    settings, run = session.settings, session.ctx.run
    named = version(session)
    session.nonce = uuid.uuid4().hex
    request = Request(
        initiators=tuple(initiators),
        repository=run.repository,
        run_id=run.run_id,
        run_url=run.run_url,
        sha=run.sha,
        workflow=run.workflow,
        environment=settings.environment,
        version=named,
        nonce=session.nonce,
    )
    body = render_body(
        BodyParts(
            request=request,
            requested_by=initiators,
            approver_specs=settings.approvers,
            eligible=policy.eligible(),
            excluded=policy.excluded(),
            minimum=settings.minimum_approvals,
            words=policy.words,
            checklist=settings.checklist_items,
            require_checklist=settings.require_checklist,
            run_number=run.run_number,
            commit_url=run.commit_url,
            changes=changes(session, named),
            extra=settings.issue_body,
            timeout=format_duration(settings.wait_seconds) if settings.mode == "wait" else "",
        )
    )
    return body, named


def create(session: Session, policy: Policy, initiators: list[str]) -> IssueData:
    """Open the approval issue, assigning the approvers named directly (at most ten)."""
    settings = session.settings
    body, named = request_text(session, policy, initiators)
    if settings.require_checklist and parse_checklist(body).total == 0:
        raise InputError("require-checklist", "is true, but the issue has no checkboxes.")
    title = settings.issue_title or default_title(
        session.ctx.run.workflow, named, settings.environment
    )
    direct = [a.login for a in policy.eligible() if not a.via]
    if len(direct) > MAX_ASSIGNEES:
        session.ctx.runner.info(
            f"GitHub allows {MAX_ASSIGNEES} assignees; assigning the first {MAX_ASSIGNEES}."
        )
    issue, unassigned = session.api.create_issue(
        session.repository,
        title=title,
        body=body,
        labels=settings.labels,
        assignees=direct[:MAX_ASSIGNEES],
        nonce=session.nonce,
    )
    if unassigned:
        session.ctx.runner.annotate(
            "warning",
            f"Could not assign {', '.join(unassigned)} to issue #{issue.number}: they need "
            "write or triage access to be assigned. They can still approve.",
        )
    return issue
