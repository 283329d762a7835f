"""What an audit shows: summary, annotations, the SARIF run and the JSON report (pure), and
``publish``, which writes them; ``failure`` is the verdict to raise."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shipyard.findings import emit
from shipyard.findings.model import SECURITY_SCORES, SEVERITIES, Finding
from shipyard.runtime import ActionContext, VerdictFailure, neutralize
from shipyard.runtime.annotations import Annotation, emit_annotations
from shipyard.runtime.sarif import SarifRun, write_sarif
from shipyard.runtime.summary import Summary

from .gate import Verdict
from .issues import IssueSync, issues_line
from .manifests import fix_of
from .outcome import Audit
from .places import MARK

TOOL_URI = "https://github.com/your-org/actions/tree/v1/audit"
MAX_LISTED = 200
#: The columns of the summary's tables of findings.
COLUMNS: tuple[emit.Column, ...] = (
    ("severity", lambda f: f.severity),
    ("id (aliases)", lambda f: f.rule + (f" ({', '.join(f.aliases)})" if f.aliases else "")),
    ("scanner", lambda f: " + ".join(f.tools)),
    ("where", emit.where),
    ("fixed in", lambda f: ", ".join(f.fixed)),
    ("fix", fix_of),
    ("message", lambda f: f.message[:300]),
)


def finding_json(finding: Finding) -> dict[str, object]:
    """A finding in the `report` output (its keys are part of the action's contract)."""
    return {
        "scanner": finding.tool,
        "scanners": list(finding.tools),
        "id": finding.rule,
        "aliases": list(finding.aliases),
        "severity": finding.severity,
        "package": finding.package,
        "installed": finding.installed,
        "fixed": list(finding.fixed),
        "file": finding.file,
        "line": finding.line,
        "title": finding.title,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
    }


def summarize(verdict: Verdict, audit: Audit, summary: Summary) -> None:
    """The job summary: counts by scanner and severity, the blocking and other findings, what
    the ignore file did, and the scan's notes."""
    counts = verdict.counts()
    blocking = len(verdict.blocking)
    gate = f"fail-on-severity: {verdict.threshold}; unknown severity gates as "
    gate += "never" if verdict.unknown_policy == "ignore" else verdict.unknown_policy
    title = f"Audit: {blocking} blocking finding(s)" if blocking else "Audit: nothing blocks"
    summary.heading(title)
    summary.paragraph(
        f"{len(verdict.findings)} finding(s), {len(verdict.suppressed)} ignored; {gate}. "
        f"Scanners: {', '.join(audit.scanners) or 'none'}."
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
        emit.table(summary, verdict.blocking[:MAX_LISTED], COLUMNS)
    others = [f for f in verdict.active if not verdict.is_blocking(f)]
    if others:
        summary.heading("Not blocking", 3)
        emit.table(summary, others[:MAX_LISTED], COLUMNS)
    _ignore_notes(verdict, summary)
    _notes(audit, summary)


def _notes(audit: Audit, summary: Summary) -> None:
    extra = [*audit.warnings, *audit.notes]
    if audit.allowlisted:
        extra.append(f"{audit.allowlisted} allow-listed secret(s) not reported.")
    if audit.durations:
        times = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(audit.durations.items()))
        extra.append(f"Scanner times (in parallel): {times}.")
    if extra:
        summary.heading("Notes", 3)
        summary.list(extra)


def _ignore_notes(verdict: Verdict, summary: Summary) -> None:
    ignored = [f for f in verdict.findings if f.fingerprint in verdict.suppressed]
    if ignored:
        rows = [[f.rule, emit.where(f), verdict.suppressed[f.fingerprint]] for f in ignored]
        summary.heading("Ignored", 3)
        summary.table(("id", "where", "reason"), rows[:MAX_LISTED])
    lines = expired_lines(verdict) + stale_lines(verdict)
    if lines:
        summary.heading("Ignore file", 3)
        summary.list(lines)


def expired_lines(verdict: Verdict) -> list[str]:
    """One line per ignore entry whose date has passed (it ignores nothing any more)."""
    return [
        f"Entry {entry.position} ({entry.label()}) expired on {entry.expires}: "
        f"{len(hits)} finding(s) are no longer ignored."
        for entry, hits in verdict.ignores.expired
    ]


def stale_lines(verdict: Verdict) -> list[str]:
    """One line per ignore entry that matches no finding."""
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
        fix = fix_of(finding)
        found.append(
            emit.annotation(
                finding,
                level="error" if verdict.is_blocking(finding) else "warning",
                title=f"{finding.severity}: {finding.title or finding.rule}"[:200],
                message=finding.message[:500] + (f" Fix: {fix}" if fix else ""),
                prefix=str(root),
            )
        )
    for line in expired_lines(verdict):
        found.append(Annotation("warning", line, title="Expired ignore entry"))
    return found


def sarif_runs(verdict: Verdict, version: str) -> list[SarifRun]:
    """One run of every finding; ignored ones carry a suppression."""

    def properties(finding: Finding) -> dict[str, object]:
        severity = finding.severity or "unknown"
        return {
            "severity": severity,
            "security-severity": SECURITY_SCORES[severity],
            "scanners": list(finding.tools),
            "aliases": list(finding.aliases),
            "package": finding.package,
            "installed": finding.installed,
            "fixed": list(finding.fixed),
            "blocking": verdict.is_blocking(finding),
        }

    run = emit.sarif_run(
        "shipyard-audit",
        verdict.findings,
        version=version,
        information_uri=TOOL_URI,
        properties=properties,
        suppressed=verdict.suppressed,
    )
    return [run]


def report_json(verdict: Verdict, audit: Audit, sarif_file: str) -> dict[str, object]:
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
            {**finding_json(f), "message": f.message[:500], "fix": fix_of(f)}
            for f in verdict.blocking[:MAX_LISTED]
        ],
        "expired_ignores": expired_lines(verdict),
        "stale_ignores": stale_lines(verdict),
        "warnings": list(audit.warnings),
        "notes": [note[:500] for note in audit.notes[:MAX_LISTED]],
        "scanners": list(audit.scanners),
        "sarif_file": sarif_file,
    }


def publish(
    ctx: ActionContext[Any], verdict: Verdict, audit: Audit, root: Path, sarif_path: Path
) -> None:
    """Write everything the audit shows: the SARIF file, annotations (within the step's
    budget, which keeps room for the verdict), the summary and the outputs."""
    from shipyard import __version__

    sarif = write_sarif(sarif_path, sarif_runs(verdict, __version__))
    annotations = annotations_of(verdict, root, audit.warnings)
    workspace = str(Path(ctx.run.workspace or ".").resolve())
    emit_annotations(ctx.runner, annotations, workspace=workspace)
    summarize(verdict, audit, ctx.summary)
    counts = verdict.counts()
    for name, value in (
        ("findings", len(verdict.findings)),
        ("blocking", len(verdict.blocking)),
        ("critical", counts["critical"]),
        ("high", counts["high"]),
    ):
        ctx.set_output(name, str(value))
    ctx.set_output("sarif-file", str(sarif))
    ctx.set_output("report", report_json(verdict, audit, str(sarif)))


def issues(summary: Summary, synced: IssueSync) -> None:
    """What report-issues did, in the summary."""
    summary.paragraph(issues_line(synced))


def failure(verdict: Verdict, ignore_file: str) -> VerdictFailure | None:
    """The step's failure when a finding blocks."""
    if not verdict.blocking:
        return None
    return VerdictFailure(
        f"{len(verdict.blocking)} finding(s) at or above {verdict.threshold}",
        title="Audit failed",
        hint="Fix them (see the summary's fix commands), or ignore one with a reason and "
        f"an expiry date in {ignore_file}.",
    )
