"""The approval action's contract: its settings (the inputs, declared once, typed, checked
without any network) and its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import ActionSpec, InputError, Output
from shipyard.runtime.settings import Duration, Secret, Text, setting

from .body import checklist_items
from .settings import (
    DEFAULT_CHECKLIST,
    DEFAULT_TIMEOUT,
    MIN_POLL_INTERVAL,
    REPOSITORY,
    parse_dispatch_inputs,
)
from .words import build_words

Mode = Literal["wait", "request", "check"]


@dataclass(frozen=True)
class Settings:
    """The inputs, parsed and checked before anything talks to GitHub."""

    mode: Mode = setting(
        "wait: create the issue and wait for the decision (or wait on issue-number). "
        "request: create the issue and return at once. check: evaluate the issue of an "
        "issue_comment/issues event once, close it when decided and start on-approved.",
        default="wait",
    )
    approvers: list[str] = setting(
        "Who can approve: GitHub users and org/team slugs (team members are looked up; "
        "teams need a token with read:org).",
        required=True,
    )
    minimum_approvals: int = setting(
        "How many different approvers must approve. More than can approve is an error.",
        default="1",
        minimum=1,
    )
    exclude_initiator: bool = setting(
        "The person who started the run (actor and triggering actor) cannot approve it.",
        default="true",
    )
    approve_words: list[str] = setting(
        "Extra words that approve (besides approve, approved, lgtm, yes)."
    )
    deny_words: list[str] = setting("Extra words that deny (besides deny, denied, no).")
    require_checklist: bool = setting(
        "Approvals count only once every checkbox in the issue body is ticked.", default="false"
    )
    checklist: Text = setting(
        "Checklist items for the issue body, one per line; 'none' for no checklist.",
        default=DEFAULT_CHECKLIST,
    )
    environment: str = setting("Environment named in the issue title.", default="production")
    version: str = setting(
        "Version named in the issue title. Empty: the tag that started the run, else the "
        "short commit."
    )
    issue_title: str = setting(
        "Issue title. Empty: 'Approval needed: <workflow> <version> -> <environment>'."
    )
    issue_body: Text = setting("Markdown added to the generated issue body.")
    labels: list[str] = setting("Labels for the issue (created if missing).")
    target_repository: str = setting(
        "owner/name of the repository for the issue. Empty: this repository."
    )
    issue_number: int | None = setting(
        "Wait on (mode wait) or check (mode check) this existing approval issue instead of "
        "creating one.",
        minimum=1,
    )
    allow_foreign_issue: bool = setting(
        "mode wait with issue-number: also wait on an issue this action did not open (or "
        "whose request was edited). The action then comments its own request on it, and only "
        "comments after that count. false: such an issue is refused.",
        default="false",
    )
    timeout: Duration | None = setting(
        "How long to wait before giving up with status timed-out. Empty: 5h50m (a job stops "
        "at 6h). In check mode it applies only when set: a check after it closes the issue as "
        "timed-out."
    )
    poll_interval: Duration = setting(
        "How often to look at the issue while waiting (conditional requests: unchanged polls "
        "cost no rate limit).",
        default="15s",
    )
    fail_on_denial: bool = setting(
        "Fail the step (exit 1) unless approved. false: succeed and read the status output.",
        default="true",
    )
    on_approved: str = setting(
        "check mode: the workflow file (e.g. deploy.yml) or ID to start with workflow_dispatch "
        "once approved."
    )
    on_approved_ref: str = setting(
        "Branch or tag for on-approved. Empty: the repository's default branch."
    )
    on_approved_inputs: Text = setting(
        "Inputs for on-approved: lines 'name=value', or a JSON object."
    )
    token: Secret = setting(
        "Token for the GitHub API (issues: write; read:org for teams; actions: write for "
        "on-approved). The API is GITHUB_API_URL (GitHub Enterprise Server included).",
        yaml_default="${{ github.token }}",
    )

    def __post_init__(self) -> None:
        self._check_basics()
        self._check_mode()
        self._check_checklist()
        build_words(self.approve_words, self.deny_words)  # names a conflicting word
        parse_dispatch_inputs(self.on_approved_inputs)

    def _check_basics(self) -> None:
        if not self.token:
            raise InputError(
                "token",
                "is empty. Pass a token with issues: write (the default is the job's "
                "${{ github.token }}).",
            )
        if self.target_repository and not REPOSITORY.match(self.target_repository):
            raise InputError("target-repository", f"'{self.target_repository}' is not owner/name.")
        if not self.approvers:
            raise InputError("approvers", "is empty; name at least one user or org/team.")
        if self.poll_interval < MIN_POLL_INTERVAL:
            raise InputError("poll-interval", f"must be at least {MIN_POLL_INTERVAL:g}s.")
        if self.timeout is not None and self.timeout <= 0:
            raise InputError("timeout", "must be longer than 0s.")

    def _check_mode(self) -> None:
        if self.mode != "check":
            given = {
                "on-approved": self.on_approved,
                "on-approved-ref": self.on_approved_ref,
                "on-approved-inputs": self.on_approved_inputs,
            }
            for name, value in given.items():
                if value:
                    raise InputError(name, "is used only with mode: check.")
        if self.mode == "request" and self.issue_number is not None:
            raise InputError("issue-number", "cannot be used with mode: request (it creates one).")
        if self.allow_foreign_issue and (self.mode != "wait" or self.issue_number is None):
            raise InputError(
                "allow-foreign-issue", "is used only with mode: wait and issue-number."
            )

    def _check_checklist(self) -> None:
        if self.require_checklist and not self.checklist_items and "- [" not in self.issue_body:
            raise InputError(
                "require-checklist", "is true, but the issue has no checklist (checklist: none)."
            )

    # -- derived values -------------------------------------------------------------------
    @property
    def checklist_items(self) -> list[str]:
        """The checklist's items, one per line of ``checklist``."""
        return checklist_items(self.checklist)

    @property
    def wait_seconds(self) -> float:
        """How long to wait: ``timeout``, else the default."""
        return DEFAULT_TIMEOUT if self.timeout is None else float(self.timeout)

    @property
    def dispatch_inputs(self) -> Mapping[str, str]:
        """The inputs of the workflow dispatched on approval (JSON or KEY=VALUE lines)."""
        return parse_dispatch_inputs(self.on_approved_inputs)


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
