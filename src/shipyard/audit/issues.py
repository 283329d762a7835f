"""report-issues: one GitHub issue per blocking finding, found again by a hidden marker with
its fingerprint; updated while the finding stays, closed (with a comment) when it is gone,
reopened when it comes back. While a scanner did not run, an issue whose finding was not seen
stays open: the audit did not look, so it cannot say the finding is gone."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from shipyard.findings.model import Finding
from shipyard.runtime import ConfigError, ExternalError

from .manifests import fix_of

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.Repository import Repository

T = TypeVar("T")
MARKER = "<!-- shipyard-audit fingerprint={} -->"
MARKER_RE = re.compile(r"<!-- shipyard-audit fingerprint=([0-9a-f]+) -->")


class Caller(Protocol):
    """Runs every GitHub call (the runtime's `call_github`: retries and rate limits)."""

    def __call__(self, fn: Callable[[], T], /) -> T: ...


@dataclass
class IssueSync:
    """What a sync did, by issue number."""

    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    kept_open: list[int] = field(default_factory=list)  # not seen, but a scanner did not run
    not_run: tuple[str, ...] = ()  # the scanners that did not run


def _quiet(text: str) -> str:
    """Untrusted scanner text for an issue body: no mentions, no HTML comments."""
    return text.replace("@", "@\u200b").replace("<!--", "&lt;!--")


def title_of(finding: Finding) -> str:
    """The issue's title: severity, id and where."""
    where = f"{finding.package} {finding.installed}" if finding.package else finding.file or ""
    return f"[audit] {finding.severity}: {finding.rule} in {where}".strip()[:250]


def body_of(finding: Finding, run_url: str) -> str:
    """The issue's body, ending in the hidden marker that finds it again."""
    lines = [
        f"**{finding.severity}** finding `{finding.rule}` reported by {', '.join(finding.tools)}.",
        "",
    ]
    if finding.aliases:
        lines.append(f"- Aliases: {', '.join(finding.aliases)}")
    if finding.package:
        lines.append(f"- Package: `{finding.package}` {finding.installed or ''}")
    if finding.fixed:
        lines.append(f"- Fixed in: {', '.join(finding.fixed)}")
    fix = fix_of(finding)
    if fix:
        lines.append(f"- Fix: {fix}")
    if finding.file:
        lines.append(
            f"- Where: `{finding.file}`" + (f" line {finding.line}" if finding.line else "")
        )
    if finding.help_url:
        lines.append(f"- More: {finding.help_url}")
    lines += ["", "> " + _quiet(finding.message[:2000]).replace("\n", "\n> "), ""]
    if run_url:
        lines.append(f"Last seen by {run_url}")
    lines += ["", MARKER.format(finding.fingerprint)]
    return "\n".join(lines)


def _ensure_label(repo: Repository, label: str, call: Caller) -> None:
    from github import GithubException

    try:
        call(lambda: repo.get_label(label))
    except GithubException as exc:
        if exc.status != 404:
            raise
        call(lambda: repo.create_label(label, "b60205", "Findings of the shipyard audit"))


def sync_issues(
    repo: Repository,
    blocking: Sequence[Finding],
    *,
    label: str,
    run_url: str,
    call: Caller,
    not_run: Sequence[str] = (),
) -> IssueSync:
    """Make the repository's `label`led audit issues match the blocking findings. With
    scanners that did not run (`not_run`), no issue is closed: its finding may be one of
    theirs."""
    _ensure_label(repo, label, call)
    known: dict[str, Issue] = {}
    for issue in call(lambda: list(repo.get_issues(state="all", labels=[label]))):
        match = MARKER_RE.search(issue.body or "")
        if match and (match.group(1) not in known or issue.state == "open"):
            known[match.group(1)] = issue
    result = IssueSync(not_run=tuple(not_run))
    wanted = {f.fingerprint for f in blocking}
    for finding in blocking:
        _upsert(repo, known.get(finding.fingerprint), finding, label, run_url, call, result)
    for fingerprint, issue in known.items():
        if fingerprint not in wanted and issue.state == "open":
            if not_run:
                result.kept_open.append(issue.number)
                continue
            _close(issue, run_url, call)
            result.closed.append(issue.number)
    return result


def _close(issue: Issue, run_url: str, call: Caller) -> None:
    note = "No longer found by the audit" + (f" ({run_url})" if run_url else "") + "."
    call(lambda: issue.create_comment(note))
    call(lambda: issue.edit(state="closed", state_reason="completed"))


def _upsert(
    repo: Repository,
    issue: Issue | None,
    finding: Finding,
    label: str,
    run_url: str,
    call: Caller,
    result: IssueSync,
) -> None:
    title, body = title_of(finding), body_of(finding, run_url)
    if issue is None:
        created = call(lambda: repo.create_issue(title=title, body=body, labels=[label]))
        result.opened.append(created.number)
        return
    if issue.state != "open":
        call(lambda: issue.edit(state="open", title=title, body=body))
        result.reopened.append(issue.number)
    elif issue.body != body or issue.title != title:
        call(lambda: issue.edit(title=title, body=body))
        result.updated.append(issue.number)
    else:
        result.unchanged.append(issue.number)


def report_issues(
    token: str,
    api_url: str,
    full_name: str,
    blocking: Sequence[Finding],
    label: str,
    run_url: str,
    log: Callable[[str], None] | None = None,
    not_run: Sequence[str] = (),
) -> IssueSync:
    """Sync the repository's audit issues with the blocking findings, through the runtime's
    GitHub client (retries, rate limits); `not_run`: the scanners that did not run."""
    from github import GithubException

    from shipyard.runtime.github import call_github, github_client

    if not token or not full_name:
        raise ConfigError(
            "report-issues needs github-token and a repository (GITHUB_REPOSITORY)",
            hint="Run it in a workflow with `permissions: issues: write`.",
        )
    client = github_client(token, api_url=api_url, log=log)

    def call(fn: Callable[[], T], /) -> T:
        return call_github(fn, log=log, what="report issues")

    try:
        repo = call(lambda: client.get_repo(full_name))
        return sync_issues(repo, blocking, label=label, run_url=run_url, call=call, not_run=not_run)
    except GithubException as exc:
        raise ExternalError(
            f"GitHub refused to manage the audit issues of {full_name} (HTTP {exc.status})",
            title="report-issues failed",
            hint="Give the job `permissions: issues: write` (and a token that can see the "
            "repository).",
        ) from None


def issues_line(synced: IssueSync) -> str:
    """The summary's line about the issues: how many were opened, updated, closed..."""
    parts = [
        f"{len(numbers)} {what}"
        for what, numbers in (
            ("opened", synced.opened),
            ("updated", synced.updated),
            ("reopened", synced.reopened),
            ("closed", synced.closed),
            ("unchanged", synced.unchanged),
            ("kept open", synced.kept_open),
        )
        if numbers
    ]
    line = "Issues: " + (", ".join(parts) if parts else "none to report") + "."
    if synced.kept_open:
        line += (
            f" No issue was closed: {', '.join(synced.not_run)} did not run, so a finding"
            " not seen may still be there."
        )
    return line
