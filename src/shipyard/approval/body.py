"""The approval issue's text: title, body, the hidden request marker, the checklist, and the
comments that close it. No I/O here."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .decision import Approver, Checklist, Evaluation
from .words import Words

MARKER_PREFIX = "<!-- shipyard-approval "
MARKER_SUFFIX = " -->"
_MARKER = re.compile(r"<!-- shipyard-approval (\{.*?\}) -->", re.DOTALL)
_CHECKBOX = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\](?:\s|$)")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


@dataclass(frozen=True)
class Request:
    """What the issue records about the request, in its hidden marker.

    The marker identifies an issue as an approval request of this action (check mode ignores
    every other issue). Who can approve never comes from it: that is always the inputs of the
    step that evaluates the issue."""

    initiators: tuple[str, ...] = ()
    repository: str = ""
    run_id: str = ""
    run_url: str = ""
    sha: str = ""
    workflow: str = ""
    environment: str = ""
    version: str = ""
    nonce: str = ""
    version_tag: int = field(default=1)

    def to_json(self) -> dict[str, Any]:
        """The marker's JSON object (``v`` is the format's version)."""
        data = asdict(self)
        data["v"] = data.pop("version_tag")
        data["initiators"] = list(self.initiators)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Request:
        """A request from a marker's JSON object; a missing or odd field becomes empty, never an
        error."""

        def text(key: str) -> str:
            value = data.get(key, "")
            return value if isinstance(value, str) else str(value)

        initiators = data.get("initiators", [])
        if not isinstance(initiators, list):
            initiators = []
        return cls(
            initiators=tuple(str(x) for x in initiators if isinstance(x, str) and x),
            repository=text("repository"),
            run_id=text("run_id"),
            run_url=text("run_url"),
            sha=text("sha"),
            workflow=text("workflow"),
            environment=text("environment"),
            version=text("version"),
            nonce=text("nonce"),
        )


@dataclass(frozen=True)
class Changes:
    """The commits since the previous release tag."""

    base: str
    compare_url: str
    count: int
    titles: tuple[str, ...] = ()


def render_marker(request: Request) -> str:
    """The hidden HTML comment; ``<``, ``>`` and ``&`` are JSON-escaped so no value can end it."""
    text = json.dumps(request.to_json(), separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"{MARKER_PREFIX}{text}{MARKER_SUFFIX}"


def parse_marker(body: str | None) -> Request | None:
    """The request recorded in an issue body, or None when it is not an approval issue.
    The first marker wins: the action writes its own before any other text."""
    if not body:
        return None
    match = _MARKER.search(body)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != 1:
        return None
    return Request.from_json(data)


def parse_checklist(body: str | None) -> Checklist:
    """Count the task-list checkboxes of a Markdown body (not those in code blocks)."""
    total = ticked = 0
    fence: str | None = None
    for line in (body or "").splitlines():
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker[0] * len(marker)
            elif marker.startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        box = _CHECKBOX.match(line)
        if box:
            total += 1
            ticked += box.group(1) in "xX"
    return Checklist(total, ticked)


def checklist_items(text: str) -> list[str]:
    """The checklist input: one item per line; 'none' (or nothing) for no checklist."""
    if text.strip().lower() in ("", "none", "false"):
        return []
    items = []
    for line in text.splitlines():
        item = line.strip()
        item = re.sub(r"^(?:[-*+]\s+)?(?:\[[ xX]\]\s+)?", "", item).strip()
        if item:
            items.append(item)
    return items


def inline(text: str) -> str:
    """Untrusted text (a commit title) as inert inline Markdown: no markup, no @mentions."""
    flat = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", flat).replace("@", "@\u200b")


def code(text: str) -> str:
    """Text as an inline code span (backticks and line breaks removed)."""
    return "`" + " ".join(text.replace("`", "").split()) + "`"


def mention(login: str) -> str:
    """``@login``: a mention that notifies the person."""
    return f"@{login}"


def default_title(workflow: str, version: str, environment: str) -> str:
    """``Approval needed: <workflow> <version> -> <environment>``, from what is known."""
    parts = " ".join(part for part in (workflow.strip(), version.strip()) if part)
    title = f"Approval needed: {parts}" if parts else "Approval needed"
    if environment.strip():
        title += f" -> {environment.strip()}"
    return title


def _words(words: Sequence[str]) -> str:
    return ", ".join(f"`{w}`" for w in words)


def _join_people(logins: Sequence[str]) -> str:
    names = [mention(x) for x in logins]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class BodyParts:
    """Everything the generated issue body says."""

    request: Request
    requested_by: Sequence[str]
    approver_specs: Sequence[str]
    eligible: Sequence[Approver]
    excluded: Sequence[Approver]
    minimum: int
    words: Words
    checklist: Sequence[str]
    require_checklist: bool
    run_number: str = ""
    commit_url: str = ""
    repository_url: str = ""
    changes: Changes | None = None
    extra: str = ""
    timeout: str = ""


def render_body(parts: BodyParts) -> str:
    """The issue body: who asked and for what, who can decide and how, the checklist, the
    caller's own text, and the hidden marker."""
    request = parts.request
    lines: list[str] = []
    who = _join_people(parts.requested_by) or "a workflow"
    run = (
        f"[workflow run #{parts.run_number or request.run_id}]({request.run_url})"
        if request.run_url
        else "a workflow run"
    )
    subject = f"**{inline(request.workflow)}**" if request.workflow else "A workflow"
    target = f" **{inline(request.version)}**" if request.version else ""
    if request.environment:
        target += f" to **{inline(request.environment)}**"
    lines.append(f"{subject} wants to deploy{target} and waits for approval.")
    lines.append("")
    lines.append(f"- Requested by {who} in {run}")
    if request.sha:
        short = request.sha[:7]
        commit = f"[`{short}`]({parts.commit_url})" if parts.commit_url else f"`{short}`"
        where = f" of `{request.repository}`" if request.repository else ""
        lines.append(f"- Commit {commit}{where}")
    if parts.changes is not None:
        changes = parts.changes
        noun = "commit" if changes.count == 1 else "commits"
        lines.append(
            f"- Changes since {code(changes.base)}: [{changes.count} {noun}]({changes.compare_url})"
        )
        for title in changes.titles:
            lines.append(f"  - {inline(title)}")
        if changes.count > len(changes.titles):
            lines.append(f"  - ... and {changes.count - len(changes.titles)} more")
    if parts.timeout:
        lines.append(f"- The request expires after {parts.timeout} without a decision.")
    lines += ["", "### Approvers", ""]
    listed = ", ".join(
        f"@{spec.removeprefix('@')}" if "/" in spec else mention(spec.removeprefix("@"))
        for spec in parts.approver_specs
    )
    noun = "approval" if parts.minimum == 1 else "approvals"
    lines.append(f"Needs **{parts.minimum}** {noun} from: {listed}.")
    if parts.eligible and any(a.via for a in parts.eligible):
        lines.append(
            "People who can approve: " + ", ".join(mention(a.login) for a in parts.eligible) + "."
        )
    if parts.excluded:
        lines.append(
            f"{_join_people([a.login for a in parts.excluded])} started this run and cannot "
            "approve it."
        )
    lines += [
        "",
        "### How to decide",
        "",
        f"Comment with one word. To approve: {_words(parts.words.approve)}. "
        f"To deny: {_words(parts.words.deny)}.",
        "Case and a final `.` or `!` do not matter; any other comment is ignored. "
        "One denial decides.",
    ]
    if parts.checklist or parts.require_checklist:
        lines += ["", "### Checklist", ""]
        lines += [f"- [ ] {item}" for item in parts.checklist]
        if parts.require_checklist:
            lines += ["", "_Approvals count only once every box in this issue is ticked._"]
    if parts.extra.strip():
        lines += ["", parts.extra.strip()]
    # the action's marker comes first, and no text from an input can carry another one
    text = neutralize_markers("\n".join(lines))
    return f"{render_marker(request)}\n{text}\n"


def neutralize_markers(text: str) -> str:
    """Text with anything that looks like a request marker made inert (visible, not hidden)."""
    return text.replace(MARKER_PREFIX.rstrip(), "&lt;!-- shipyard-approval")


def format_time(iso: str) -> str:
    """``2026-01-02T03:04:05Z`` -> ``2026-01-02 03:04:05 UTC``."""
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", iso):
        return iso.replace("T", " ").removesuffix("Z") + " UTC"
    return iso


def format_duration(seconds: float) -> str:
    """``21000`` -> ``5h50m``; ``90`` -> ``1m30s``; ``0.5`` -> ``0.5s``."""
    if seconds < 1:
        return f"{seconds:g}s"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    for value, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")):
        if value:
            out += f"{value}{unit}"
    return out or "0s"


def decision_comment(
    evaluation: Evaluation, minimum: int, run_url: str = "", followup: str = ""
) -> str:
    """The comment that closes a decided issue: who decided, and when."""
    when = format_time(evaluation.decided_at)
    if evaluation.status == "approved":
        text = (
            f"\u2705 **Approved** by {_join_people(evaluation.approved_by)} at {when} "
            f"({len(evaluation.approved_by)} of {minimum} needed)."
        )
    else:
        text = f"\u274c **Denied** by {_join_people(evaluation.denied_by)} at {when}."
    if followup:
        text += f"\n\n{followup}"
    if run_url:
        text += f"\n\n[Workflow run]({run_url})"
    return text


def timeout_comment(timeout: str, now_iso: str, run_url: str = "") -> str:
    """The comment that closes an issue when the wait timed out."""
    text = (
        f"\u231b **Timed out**: no decision within {timeout} (at {format_time(now_iso)}). "
        "This request is closed; the deploy does not continue."
    )
    return text + (f"\n\n[Workflow run]({run_url})" if run_url else "")


def stopped_comment(reason: str, now_iso: str, run_url: str = "") -> str:
    """The comment that closes an issue when the run could not go on waiting (``reason``)."""
    text = (
        "\u26a0\ufe0f **Stopped**: the workflow run could not wait for a decision "
        f"({reason}) at {format_time(now_iso)}. This request is closed."
    )
    return text + (f"\n\n[Workflow run]({run_url})" if run_url else "")


def cancelled_comment(now_iso: str, run_url: str = "") -> str:
    """The comment that closes an issue when the run was cancelled before a decision."""
    text = (
        f"\U0001f6ab **Cancelled**: the workflow run was cancelled at {format_time(now_iso)} "
        "before a decision. This request is closed."
    )
    return text + (f"\n\n[Workflow run]({run_url})" if run_url else "")


_RELEASE = re.compile(r"^v?(\d+(?:\.\d+){0,3})$")


def release_key(name: str) -> tuple[int, ...] | None:
    """``v1.2.3`` -> (1, 2, 3); None for anything that is not a final release tag."""
    match = _RELEASE.match(name.strip())
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def previous_release(tags: Sequence[tuple[str, str]], version: str, sha: str) -> str | None:
    """The release tag before this one: the highest release tag below ``version`` when it is
    a release number, else the highest release tag not on ``sha``."""
    current = release_key(version)
    best: tuple[tuple[int, ...], str] | None = None
    for name, tag_sha in tags:
        key = release_key(name)
        if key is None or name == version or (sha and tag_sha == sha):
            continue
        if current is not None and key >= current:
            continue
        if best is None or key > best[0]:
            best = (key, name)
    return best[1] if best else None
