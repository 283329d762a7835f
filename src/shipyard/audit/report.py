"""What an audit shows: summary, annotations, the SARIF run and the JSON report (pure), and
``publish``, which writes them (the error to raise: ``verdict.failure_of``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.findings import emit
from shipyard.findings.model import SECURITY_SCORES, SEVERITIES, Finding
from shipyard.runtime import ActionContext, neutralize
from shipyard.runtime.annotations import Annotation, emit_annotations
from shipyard.runtime.sarif import SarifRun, write_sarif
from shipyard.runtime.summary import Summary

from .gate import Verdict
from .issues import IssueSync, issues_line
from .manifests import fix_of
from .outcome import Audit, Database
from .places import MARK
from .resolution import note as resolved_note
from .resolution import table as resolved_table

if TYPE_CHECKING:
    from .request import Inputs

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


def title_of(verdict: Verdict, audit: Audit) -> str:
    """The summary's first line: what blocks, and first of all which scanners did not run."""
    blocking = len(verdict.blocking)
    verdict_text = f"{blocking} blocking finding(s)" if blocking else "nothing blocks"
    missing = audit.did_not_run()
    if missing:
        return f"Audit: {', '.join(missing)} did not run; {verdict_text} in the rest"
    return f"Audit: {verdict_text}"


def summarize(
    verdict: Verdict,
    audit: Audit,
    summary: Summary,
    *,
    allowed: Collection[str] = (),
    now: dt.datetime | None = None,
) -> None:
    """The job summary: which scanners did not run, counts by scanner and severity, the
    blocking and other findings, the resolved pins, what the ignore file did, how old the
    vulnerability data is, and the scan's notes."""
    counts = verdict.counts()
    gate = f"fail-on-severity: {verdict.threshold}; unknown severity gates as "
    gate += "never" if verdict.unknown_policy == "ignore" else verdict.unknown_policy
    summary.heading(title_of(verdict, audit))
    if audit.unavailable:
        summary.table(
            ("scanner", "what failed", "why", "allowed to be unavailable"),
            [
                [u.scanner, u.source, u.reason[:300], _yes(u.scanner in allowed)]
                for u in audit.unavailable
            ],
        )
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
    if verdict.ignore_unfixed and verdict.unfixed:
        summary.paragraph(
            f"{len(verdict.unfixed)} vulnerability(ies) name no fixed version: reported, not "
            "gating (ignore-unfixed)."
        )
    _resolved(audit, summary)
    _ignore_notes(verdict, summary)
    _notes(audit, summary, now or dt.datetime.now(dt.timezone.utc))


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _resolved(audit: Audit, summary: Summary) -> None:
    rows = resolved_table(audit.resolved)
    if not rows:
        return
    summary.heading("Resolved pins", 3)
    summary.paragraph(resolved_note(audit.resolved, audit.index) or "")
    summary.table(("package", "version", "from", "requirement"), rows[:MAX_LISTED])


def database_line(database: Database, now: dt.datetime) -> str:
    """How old one vulnerability database is, in words."""
    if database.live:
        return f"{database.name}: live"
    if database.updated is None:
        return f"{database.name}: age unknown"
    days = max(0, (now - database.updated).days)
    return (
        f"{database.name}: updated {database.updated:%Y-%m-%d} ({days} day(s) old; {database.how})"
    )


def _notes(audit: Audit, summary: Summary, now: dt.datetime) -> None:
    extra = [*audit.warnings, *audit.notes]
    extra += ["Vulnerability data: " + database_line(d, now) for d in audit.databases]
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


def report_json(
    verdict: Verdict,
    audit: Audit,
    sarif_file: str,
    *,
    allowed: Collection[str] = (),
    now: dt.datetime | None = None,
    sbom_file: str = "",
) -> dict[str, object]:
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
        "did_not_run": [
            {
                "scanner": u.scanner,
                "source": u.source,
                "reason": u.reason[:500],
                "allowed": u.scanner in allowed,
            }
            for u in audit.unavailable
        ],
        "unfixed_not_gating": len(verdict.unfixed) if verdict.ignore_unfixed else 0,
        "resolved": [
            {"package": p.name, "version": p.version, "file": p.file, "line": p.line}
            for r in audit.resolved
            for p in r.pins
        ][:MAX_LISTED],
        "databases": [
            _database_json(d, now or dt.datetime.now(dt.timezone.utc)) for d in audit.databases
        ],
        "sarif_file": sarif_file,
        "sbom_file": sbom_file,
    }


def _database_json(database: Database, now: dt.datetime) -> dict[str, object]:
    updated = database.updated
    return {
        "name": database.name,
        "live": database.live,
        "updated": updated.isoformat() if updated else None,
        "age_days": max(0, (now - updated).days) if updated else None,
    }


def publish(ctx: ActionContext[Any], verdict: Verdict, audit: Audit, inputs: Inputs) -> None:
    """Write everything the audit shows: the SARIF file, the SBOM, annotations (within the
    step's budget, which keeps room for the verdict), the summary and the outputs."""
    from shipyard import __version__

    root, sbom_path = inputs.request.env.root, inputs.sbom_path
    allowed = ctx.settings.may_be_unavailable
    now = dt.datetime.now(dt.timezone.utc)
    sarif = write_sarif(inputs.sarif_path, sarif_runs(verdict, __version__))
    sbom = ""
    if sbom_path is not None:
        write_sbom(sbom_path, audit, ctx.run.repository or root.name, __version__)
        sbom = str(sbom_path)
    annotations = annotations_of(verdict, root, audit.warnings)
    workspace = str(Path(ctx.run.workspace or ".").resolve())
    emit_annotations(ctx.runner, annotations, workspace=workspace)
    summarize(verdict, audit, ctx.summary, allowed=allowed, now=now)
    counts = verdict.counts()
    for name, value in (
        ("findings", len(verdict.findings)),
        ("blocking", len(verdict.blocking)),
        ("critical", counts["critical"]),
        ("high", counts["high"]),
    ):
        ctx.set_output(name, str(value))
    ctx.set_output("sarif-file", str(sarif))
    ctx.set_output("sbom-file", sbom)
    report = report_json(verdict, audit, str(sarif), allowed=allowed, now=now, sbom_file=sbom)
    ctx.set_output("report", report)


def write_sbom(path: Path, audit: Audit, subject: str, version: str) -> None:
    """The CycloneDX SBOM of every dependency found (and the image's packages) at `path`."""
    from .sbom import build

    image = None
    if audit.image_sbom:
        image = (audit.image_name, json.loads(audit.image_sbom))
    text = build(
        audit.dependencies, audit.places, subject=subject, tool_version=version, image=image
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def issues(summary: Summary, synced: IssueSync) -> None:
    """What report-issues did, in the summary."""
    summary.paragraph(issues_line(synced))
