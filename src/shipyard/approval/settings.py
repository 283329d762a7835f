"""The approval action's inputs: one frozen, typed object, declared once (the spec derives the
inputs of action.yml from it). Every check that needs no network is here. No I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import InputError
from shipyard.runtime.settings import Duration, Secret, Text, setting

from .body import checklist_items
from .words import build_words

Mode = Literal["wait", "request", "check"]
#: The wait when ``timeout`` is empty: a job stops at 6h; this leaves time to close the issue.
DEFAULT_TIMEOUT = 5 * 3600.0 + 50 * 60.0
MIN_POLL_INTERVAL = 1.0
MAX_DISPATCH_INPUTS = 25
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")

DEFAULT_CHECKLIST = "\n".join(
    (
        "All tests passing",
        "Security scans clear",
        "Staging deployment successful",
        "Database migrations reviewed",
        "Rollback plan ready",
    )
)


def parse_dispatch_inputs(text: str) -> dict[str, str]:
    """``on-approved-inputs``: lines ``name=value`` or a JSON object; values as strings."""
    text = text.strip()
    if not text:
        return {}
    result = _json_inputs(text) if text.startswith("{") else _line_inputs(text)
    if len(result) > MAX_DISPATCH_INPUTS:
        raise InputError(
            "on-approved-inputs",
            f"has {len(result)} inputs; workflow_dispatch takes at most {MAX_DISPATCH_INPUTS}.",
        )
    return result


def _json_inputs(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError("on-approved-inputs", f"is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise InputError("on-approved-inputs", "must be a JSON object.")
    result: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, (dict, list)) or value is None:
            raise InputError("on-approved-inputs", f"'{key}' must be a string, number or boolean.")
        result[str(key)] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return result


def _line_inputs(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InputError("on-approved-inputs", f"'{line.strip()}' is not a line 'name=value'.")
        result[name.strip()] = value.strip()
    return result


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
        if self.target_repository and not _REPOSITORY.match(self.target_repository):
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
        return checklist_items(self.checklist)

    @property
    def wait_seconds(self) -> float:
        """How long to wait: ``timeout``, else the default."""
        return DEFAULT_TIMEOUT if self.timeout is None else float(self.timeout)

    @property
    def dispatch_inputs(self) -> Mapping[str, str]:
        return parse_dispatch_inputs(self.on_approved_inputs)


__all__ = ["DEFAULT_CHECKLIST", "DEFAULT_TIMEOUT", "Mode", "Settings", "parse_dispatch_inputs"]
