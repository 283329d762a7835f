"""The approval action's inputs and outputs: the contract, declared once."""

from __future__ import annotations

from shipyard.runtime import ActionSpec, Input, Output

MODES = ("wait", "request", "check")
STATUSES = ("approved", "denied", "timed-out", "cancelled", "pending")
#: The wait when ``timeout`` is empty: a job stops at 6h; this leaves time to close the issue.
DEFAULT_TIMEOUT = 5 * 3600.0 + 50 * 60.0

DEFAULT_CHECKLIST = "\n".join(
    (
        "All tests passing",
        "Security scans clear",
        "Staging deployment successful",
        "Database migrations reviewed",
        "Rollback plan ready",
    )
)

SPEC = ActionSpec(
    name="approval",
    title="shipyard approval",
    description=(
        "Pause a deploy until named people or teams approve it in a GitHub issue: N of M "
        "approvals, deny wins, timeouts, checklists, no runner held in check mode."
    ),
    branding=("user-check", "green"),
    inputs=(
        Input(
            "mode",
            "wait: create the issue and wait for the decision (or wait on issue-number). "
            "request: create the issue and return at once. check: evaluate the issue of an "
            "issue_comment/issues event once, close it when decided and start on-approved.",
            kind="enum",
            choices=MODES,
            default="wait",
        ),
        Input(
            "approvers",
            "Who can approve: GitHub users and org/team slugs (team members are looked up; "
            "teams need a token with read:org).",
            kind="list",
            required=True,
        ),
        Input(
            "minimum-approvals",
            "How many different approvers must approve. More than can approve is an error.",
            kind="int",
            default="1",
            minimum=1,
        ),
        Input(
            "exclude-initiator",
            "The person who started the run (actor and triggering actor) cannot approve it.",
            kind="bool",
            default="true",
        ),
        Input(
            "approve-words",
            "Extra words that approve (besides approve, approved, lgtm, yes).",
            kind="list",
        ),
        Input(
            "deny-words",
            "Extra words that deny (besides deny, denied, no).",
            kind="list",
        ),
        Input(
            "require-checklist",
            "Approvals count only once every checkbox in the issue body is ticked.",
            kind="bool",
            default="false",
        ),
        Input(
            "checklist",
            "Checklist items for the issue body, one per line; 'none' for no checklist.",
            default=DEFAULT_CHECKLIST,
        ),
        Input("environment", "Environment named in the issue title.", default="production"),
        Input(
            "version",
            "Version named in the issue title. Empty: the tag that started the run, else the "
            "short commit.",
        ),
        Input(
            "issue-title",
            "Issue title. Empty: 'Approval needed: <workflow> <version> -> <environment>'.",
        ),
        Input("issue-body", "Markdown added to the generated issue body."),
        Input("labels", "Labels for the issue (created if missing).", kind="list"),
        Input(
            "target-repository",
            "owner/name of the repository for the issue. Empty: this repository.",
        ),
        Input(
            "issue-number",
            "Wait on (mode wait) or check (mode check) this existing approval issue instead "
            "of creating one.",
            kind="int",
            minimum=1,
        ),
        Input(
            "allow-foreign-issue",
            "mode wait with issue-number: also wait on an issue this action did not open (or "
            "whose request was edited). The action then comments its own request on it, and "
            "only comments after that count. false: such an issue is refused.",
            kind="bool",
            default="false",
        ),
        Input(
            "timeout",
            "How long to wait before giving up with status timed-out. Empty: 5h50m (a job "
            "stops at 6h). In check mode it applies only when set: a check after it closes "
            "the issue as timed-out.",
            kind="duration",
        ),
        Input(
            "poll-interval",
            "How often to look at the issue while waiting (conditional requests: unchanged "
            "polls cost no rate limit).",
            kind="duration",
            default="15s",
        ),
        Input(
            "fail-on-denial",
            "Fail the step (exit 1) unless approved. false: succeed and read the status output.",
            kind="bool",
            default="true",
        ),
        Input(
            "on-approved",
            "check mode: the workflow file (e.g. deploy.yml) or ID to start with "
            "workflow_dispatch once approved.",
        ),
        Input(
            "on-approved-ref",
            "Branch or tag for on-approved. Empty: the repository's default branch.",
        ),
        Input(
            "on-approved-inputs",
            "Inputs for on-approved: lines 'name=value', or a JSON object.",
        ),
        Input(
            "token",
            "Token for the GitHub API (issues: write; read:org for teams; actions: write for "
            "on-approved). The API is GITHUB_API_URL (GitHub Enterprise Server included).",
            secret=True,
            yaml_default="${{ github.token }}",
        ),
    ),
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
