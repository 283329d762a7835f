"""The approval action's contract: its settings (the inputs, declared once) and its outputs."""

from __future__ import annotations

from shipyard.runtime import ActionSpec, Output

from .settings import Settings

STATUSES = ("approved", "denied", "timed-out", "cancelled", "pending")

SPEC = ActionSpec(
    name="approval",
    title="shipyard approval",
    description=(
        "Pause a deploy until named people or teams approve it in a GitHub issue: N of M "
        "approvals, deny wins, timeouts, checklists, no runner held in check mode."
    ),
    branding=("user-check", "green"),
    settings=Settings,
    outputs=(
        Output(
            "status",
            "approved, denied, timed-out, cancelled, or pending (request mode, or check mode "
            "before a decision). Empty when check mode ignored the event.",
        ),
        Output("approved-by", "Comma-separated logins of those who approved."),
        Output("denied-by", "Login of the approver whose denial decided."),
        Output("issue-number", "Number of the approval issue."),
        Output("issue-url", "Web address of the approval issue."),
    ),
)
