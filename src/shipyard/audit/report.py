"""The audit's report (pure): summary, annotations, SARIF runs and the JSON report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from shipyard.runtime import neutralize
from shipyard.runtime.annotations import Annotation
from shipyard.runtime.sarif import SarifResult, SarifRule, SarifRun
from shipyard.runtime.summary import Summary

from .findings import SEVERITIES, Finding
from .gate import Verdict
from .manifests import LOCK_NAMES, Dependency, fix_command
from .scanners.history import MARK

TOOL_URI = "https://github.com/your-org/actions/tree/v1/audit"
LEVELS: dict[str, Literal["error", "warning", "note"]] = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "unknown": "warning",
}
SCORES = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0", "unknown": "8.0"}
MAX_LISTED = 200


@dataclass(frozen=True)
class Notes:
    """What else the report says: scanners run, warnings, allow-listed counts."""

    scanners: Sequence[str] = ()
    warnings: Sequence[str] = ()
    notes: Sequence[str] = ()
    allowlisted: int = 0
    sarif_file: str = ""
    durations: dict[str, float] = field(default_factory=dict)


def fix_of(finding: Finding) -> str:
    """The command (or edit) that fixes a dependency finding; "" when there is none."""
    if not finding.package or not finding.fixed or not finding.installed:
        return ""
    name = PurePosixPath(finding.file or "requirements.txt").name
    kind = LOCK_NAMES.get(name, "requirements")
    dep = Dependency(finding.package, finding.installed, finding.file or "", None, kind)
    return fix_command(dep, _lowest_fix_above(finding))


def _lowest_fix_above(finding: Finding) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        installed = Version(finding.installed or "0")
        later = sorted(Version(v) for v in finding.fixed if Version(v) > installed)
    except InvalidVersion:
        return finding.fixed[-1]
    return str(later[0]) if later else finding.fixed[-1]


def _where(finding: Finding) -> str:
    if finding.package:
        return f"{finding.package} {finding.installed or ''}".strip()
    if finding.file:
        return f"{finding.file}:{finding.line}" if finding.line else finding.file
    return ""


def _row(finding: Finding, verdict: Verdict) -> list[object]:
    aliases = ", ".join(finding.aliases)
    fixed = ", ".join(finding.fixed)
    return [
        finding.severity,
        finding.id + (f" ({aliases})" if aliases else ""),
        " + ".join(finding.scanners),
        _where(finding),
        fixed,
        fix_of(finding),
        finding.message[:300],
    ]


HEADER = ("severity", "id (aliases)", "scanner", "where", "fixed in", "fix", "message")


def summarize(verdict: Verdict, notes: Notes, summary: Summary) -> None:
    counts = verdict.counts()
    blocking = len(verdict.blocking)
    gate = f"fail-on-severity: {verdict.threshold}; unknown severity gates as "
    gate += "never" if verdict.unknown_policy == "ignore" else verdict.unknown_policy
    title = f"Audit: {blocking} blocking finding(s)" if blocking else "Audit: nothing blocks"
    summary.heading(title)
    summary.paragraph(
        f"{len(verdict.findings)} finding(s), {len(verdict.suppressed)} ignored; {gate}. "
        f"Scanners: {', '.join(notes.scanners) or 'none'}."
    )
    rows = [
        [name, *(row[s] for s in SEVERITIES), sum(row.values())]
        for name, row in verdict.by_scanner().items()
    ]
    rows.append(["all", *(counts[s] for s in SEVERITIES), sum(counts.values())])
    summary.table(("scanner", *SEVERITIES, "total"), rows)
    if counts["unknown"]:
        summary.paragraph(
            f"{counts['unknown']} finding(s) have no severity (no CVSS vector, no scanner "
            f"rating); they gate as {gate.rsplit(' ', 1)[-1]}."
        )
    if verdict.blocking:
        summary.heading("Blocking", 3)
        summary.table(HEADER, (_row(f, verdict) for f in verdict.blocking[:MAX_LISTED]))
    others = [f for f in verdict.active if not verdict.is_blocking(f)]
    if others:
        summary.heading("Not blocking", 3)
        summary.table(HEADER, (_row(f, verdict) for f in others[:MAX_LISTED]))
    _ignore_notes(verdict, summary)
    extra = [*notes.warnings, *notes.notes]
    if notes.allowlisted:
        extra.append(f"{notes.allowlisted} allow-listed secret(s) not reported.")
    if notes.durations:
        times = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(notes.durations.items()))
        extra.append(f"Scanner times (in parallel): {times}.")
    if extra:
        summary.heading("Notes", 3)
        summary.list(extra)


def _ignore_notes(verdict: Verdict, summary: Summary) -> None:
    ignored = [f for f in verdict.findings if f.fingerprint in verdict.suppressed]
    if ignored:
        rows = [[f.id, _where(f), verdict.suppressed[f.fingerprint]] for f in ignored]
        summary.heading("Ignored", 3)
        summary.table(("id", "where", "reason"), rows[:MAX_LISTED])
    lines = expired_lines(verdict) + stale_lines(verdict)
    if lines:
        summary.heading("Ignore file", 3)
        summary.list(lines)


def expired_lines(verdict: Verdict) -> list[str]:
    return [
        f"Entry {entry.position} ({entry.label()}) expired on {entry.expires}: "
        f"{len(hits)} finding(s) are no longer ignored."
        for entry, hits in verdict.ignores.expired
    ]


def stale_lines(verdict: Verdict) -> list[str]:
    return [
        f"Entry {entry.position} ({entry.label()}) matches no finding: stale, remove it."
        for entry in verdict.ignores.stale
    ]


def annotations_of(verdict: Verdict, root: Path, warnings: Sequence[str] = ()) -> list[Annotation]:
    """One annotation per finding with a file in the tree (errors for blocking ones, warnings
    else), one per expired ignore entry and per scanner warning."""
    found: list[Annotation] = [Annotation("warning", neutralize(w)) for w in warnings]
    for finding in verdict.active:
        if not finding.file or MARK in finding.file or not (root / finding.file).is_file():
            continue
        level: Literal["error", "warning", "notice"] = (
            "error" if verdict.is_blocking(finding) else "warning"
        )
        fix = fix_of(finding)
        message = finding.message[:500] + (f" Fix: {fix}" if fix else "")
        found.append(
            Annotation(
                level=level,
                message=message,
                title=f"{finding.severity}: {finding.title or finding.id}"[:200],
                file=str(root / finding.file),
                line=finding.line,
            )
        )
    for line in expired_lines(verdict):
        found.append(Annotation("warning", line, title="Expired ignore entry"))
    return found


def sarif_runs(verdict: Verdict, version: str) -> list[SarifRun]:
    """One run of every finding; ignored ones carry a suppression."""
    rules: dict[str, SarifRule] = {}
    results: list[SarifResult] = []
    for finding in verdict.findings:
        rule_id = finding.id
        if rule_id not in rules:
            rules[rule_id] = SarifRule(
                id=rule_id,
                name=finding.title or rule_id,
                short_description=(finding.title or finding.message)[:200] or rule_id,
                help_uri=finding.help_uri,
                level=LEVELS[finding.severity],
            )
        reason = verdict.suppressed.get(finding.fingerprint)
        results.append(
            SarifResult(
                rule_id=rule_id,
                message=finding.message or rule_id,
                level=LEVELS[finding.severity],
                file=finding.file,
                start_line=finding.line,
                fingerprint=finding.fingerprint,
                suppressed=reason is not None,
                justification=reason,
                properties={
                    "severity": finding.severity,
                    "security-severity": SCORES[finding.severity],
                    "scanners": list(finding.scanners),
                    "aliases": list(finding.aliases),
                    "package": finding.package,
                    "installed": finding.installed,
                    "fixed": list(finding.fixed),
                    "blocking": verdict.is_blocking(finding),
                },
            )
        )
    run = SarifRun(
        tool="shipyard-audit",
        version=version,
        information_uri=TOOL_URI,
        rules=list(rules.values()),
        results=results,
    )
    return [run]


def report_json(verdict: Verdict, notes: Notes) -> dict[str, object]:
    """The `report` output: counts, notes and the first blocking findings (messages cut to
    500 characters, at most 200 findings: step outputs share a 1 MiB limit; the SARIF file
    has everything)."""
    return {
        "findings": len(verdict.findings),
        "ignored": len(verdict.suppressed),
        "blocking": len(verdict.blocking),
        "fail_on_severity": verdict.threshold,
        "unknown_severity": verdict.unknown_policy,
        "counts": verdict.counts(),
        "by_scanner": verdict.by_scanner(),
        "blocking_findings": [
            {**f.to_json(), "message": f.message[:500], "fix": fix_of(f)}
            for f in verdict.blocking[:MAX_LISTED]
        ],
        "expired_ignores": expired_lines(verdict),
        "stale_ignores": stale_lines(verdict),
        "warnings": list(notes.warnings),
        "notes": [note[:500] for note in notes.notes[:MAX_LISTED]],
        "scanners": list(notes.scanners),
        "sarif_file": notes.sarif_file,
    }
