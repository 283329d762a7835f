"""Entry point of the audit action: ``python -m shipyard.audit``. Wires the pure parts:
plan (scanners, in parallel) -> merge -> ignore file -> gate -> report (+ issues)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from shipyard.runtime import ActionContext, VerdictFailure, main_for

from .spec import SPEC, Settings


def run(ctx: ActionContext[Settings]) -> None:
    # Imported here, so that a run that fails on its inputs starts fast.
    from shipyard import __version__
    from shipyard.runtime.annotations import emit_annotations
    from shipyard.runtime.sarif import write_sarif

    from . import report
    from .gate import evaluate
    from .ignore import apply_ignores, load_ignore
    from .issues import issues_line, report_issues
    from .plan import execute
    from .request import request_of, sarif_path_of

    s, workspace = ctx.settings, Path(ctx.run.workspace or ".").resolve()
    req = request_of(ctx, workspace)
    sarif_path = sarif_path_of(ctx, workspace)
    today = dt.date.today()
    entries = load_ignore(req.env.root, s.ignore_file, today, s.ignore_max_days)
    audit = execute(req, ctx.runner)
    ignores = apply_ignores(audit.findings, entries, today)
    verdict = evaluate(audit.findings, ignores, s.fail_on_severity, s.unknown_severity)
    sarif = write_sarif(sarif_path, report.sarif_runs(verdict, __version__))
    notes = report.Notes(
        audit.scanners, audit.warnings, audit.notes, audit.allowlisted, str(sarif), audit.durations
    )
    annotations = report.annotations_of(verdict, req.env.root, audit.warnings)
    # the runtime keeps room for the verdict and counts what is not shown in the summary
    emit_annotations(ctx.runner, annotations, workspace=str(workspace))
    report.summarize(verdict, notes, ctx.summary)
    counts = verdict.counts()
    for name, value in (
        ("findings", len(verdict.findings)),
        ("blocking", len(verdict.blocking)),
        ("critical", counts["critical"]),
        ("high", counts["high"]),
    ):
        ctx.set_output(name, str(value))
    ctx.set_output("sarif-file", str(sarif))
    ctx.set_output("report", report.report_json(verdict, notes))
    if s.report_issues:
        synced = report_issues(
            s.github_token,
            ctx.run.api_url,
            ctx.run.repository,
            verdict.blocking,
            s.issue_label,
            ctx.run.run_url,
        )
        ctx.summary.paragraph(issues_line(synced))
    if verdict.blocking:
        raise VerdictFailure(
            f"{len(verdict.blocking)} finding(s) at or above {s.fail_on_severity}",
            title="Audit failed",
            hint="Fix them (see the summary's fix commands), or ignore one with a reason and "
            f"an expiry date in {s.ignore_file}.",
        )


main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
