"""What a run reports, from its outcome: the outputs and the job summary (pure functions), and
:func:`publish`, the one place they are written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from shipyard.runtime import Markdown, Outcome, Summary, link
from shipyard.runtime.summary import escape_cell, escape_text

from .body import format_time
from .decision import Evaluation, IssueData, Policy

if TYPE_CHECKING:
    from shipyard.runtime import ActionContext

Status = Literal["approved", "denied", "timed-out", "cancelled", "pending"]
STATUS_TEXT: dict[Status, tuple[str, str]] = {
    "approved": ("\u2705", "Approved"),
    "denied": ("\u274c", "Denied"),
    "timed-out": ("\u231b", "Timed out"),
    "cancelled": ("\U0001f6ab", "Cancelled"),
    "pending": ("\u23f3", "Waiting for approval"),
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!~])")


@dataclass(frozen=True)
class ApprovalOutcome(Outcome):
    """How one run ended: the status, the issue, what the comments decided, the rules."""

    status: Status = "pending"
    issue: IssueData | None = None
    evaluation: Evaluation | None = None
    policy: Policy | None = None
    note: str = ""

    @property
    def title(self) -> str:
        """The status in words (``Timed out``)."""
        return STATUS_TEXT[self.status][1]


def publish(ctx: ActionContext[Any], outcome: ApprovalOutcome) -> None:
    """Write what the run reports: every output and the job summary."""
    for name, value in outputs(outcome).items():
        ctx.set_output(name, value)
    write_summary(ctx.summary, outcome)


def outputs(result: ApprovalOutcome) -> dict[str, str]:
    """The step's outputs."""
    evaluation, issue = result.evaluation, result.issue
    denied = evaluation.denied_by if evaluation and result.status == "denied" else []
    return {
        "status": result.status,
        "approved-by": ",".join(evaluation.approved_by) if evaluation else "",
        "denied-by": ",".join(denied),
        "issue-number": str(issue.number) if issue else "",
        "issue-url": issue.html_url if issue else "",
    }


def write_summary(summary: Summary, result: ApprovalOutcome) -> None:
    """The job summary: status, issue, each approver's decision, the checklist, and the
    comments that did not count (escaped: they are untrusted)."""
    icon, title = STATUS_TEXT[result.status]
    summary.heading(f"{icon} Approval: {title}", 3)
    if result.issue is not None:
        issue = result.issue
        line = link(f"#{issue.number} {issue.title}", issue.html_url).markdown
        if result.note:
            line += " \u2014 " + escape_text(result.note)
        summary.raw(line)
    elif result.note:
        summary.paragraph(result.note)
    if result.policy is not None:
        _approvers(summary, result.policy, result.evaluation)
    if result.evaluation is not None:
        _details(summary, result.evaluation, result.policy)


def _approvers(summary: Summary, policy: Policy, evaluation: Evaluation | None) -> None:
    rows: list[list[object]] = []
    for approver in policy.eligible():
        vote = evaluation.vote_of(approver.login) if evaluation else None
        name = approver.login + (f" ({approver.via})" if approver.via else "")
        if vote is None:
            rows.append([name, "\u23f3 no decision", "", ""])
            continue
        decision = "\u2705 approved" if vote.verdict == "approve" else "\u274c denied"
        comment: object = link("comment", vote.url) if vote.url else ""
        rows.append([name, decision, format_time(vote.at), comment])
    for approver in policy.excluded():
        name = approver.login + (f" ({approver.via})" if approver.via else "")
        rows.append([name, "\U0001f6ab started the run, cannot approve", "", ""])
    summary.paragraph(f"Needs {policy.minimum} of {len(policy.eligible())} possible approvers.")
    summary.table(["approver", "decision", "when", "comment"], rows)


def _details(summary: Summary, evaluation: Evaluation, policy: Policy | None) -> None:
    if policy is not None and policy.require_checklist:
        checklist = evaluation.checklist
        summary.paragraph(
            f"Checklist: {checklist.ticked} of {checklist.total} boxes ticked"
            + ("." if checklist.complete else "; approvals count once all are ticked.")
        )
    if evaluation.ignored:
        table = Summary().table(
            ["author", "comment", "why it does not count"],
            [
                [item.author, Markdown(comment_cell(item.body, item.url)), item.reason]
                for item in evaluation.ignored
            ],
        )
        summary.details(f"Ignored comments ({len(evaluation.ignored)})", table.render())


def comment_cell(body: str, url: str) -> str:
    """An untrusted comment as inert text in a table cell: no HTML, no Markdown, one line."""
    flat = " ".join(body.split())
    short = flat if len(flat) <= 80 else flat[:77] + "..."
    text = (
        escape_cell(_MD_SPECIAL.sub(r"\\\1", short))
        .replace("@", "@\u200b")
        .replace("://", ":/\u200b/")
        or "(empty)"
    )
    return f"{text} ({link('link', url).markdown})" if url else text


def progress(evaluation: Evaluation, minimum: int) -> str:
    """One line saying where the approval stands."""
    approved = evaluation.approved_by
    text = f"{len(approved)} of {minimum} approvals"
    if approved:
        text += " (" + ", ".join(approved) + ")"
    if evaluation.waiting_for_checklist:
        checklist = evaluation.checklist
        text += (
            f"; waiting for the checklist ({checklist.ticked} of {checklist.total} boxes ticked)"
        )
    return text
