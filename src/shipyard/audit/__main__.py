"""Entry point of the audit action: ``python -m shipyard.audit``.

Initialise (the file-system inputs resolved and the ignore file read: ``request``), scan (the
scanners in parallel, merged: ``scan``), judge (ignore file, then the severity gate), report
(``report.publish``; report-issues), then the verdict.
"""

from __future__ import annotations

import datetime as dt

from shipyard.runtime import ActionContext, main_for

from .spec import SPEC, Settings


def run(ctx: ActionContext[Settings]) -> None:
    # Imported here, so that a run that fails on its inputs starts fast.
    """Audit the repository: resolve the inputs, scan, gate, publish, judge."""
    from . import report
    from .gate import evaluate
    from .ignore import apply_ignores
    from .issues import report_issues
    from .request import resolve
    from .scan import scan
    from .verdict import failure_of

    s = ctx.settings
    inputs = resolve(s, ctx.run, ctx.cleanup, dt.date.today())
    audit = scan(inputs.request, ctx.runner)
    ignores = apply_ignores(audit.findings, inputs.ignores, inputs.today)
    verdict = evaluate(
        audit.findings, ignores, s.fail_on_severity, s.unknown_severity, s.ignore_unfixed
    )
    report.publish(ctx, verdict, audit, inputs)
    if s.report_issues:
        synced = report_issues(
            s.github_token,
            ctx.run.api_url,
            ctx.run.repository,
            verdict.blocking,
            s.issue_label,
            ctx.run.run_url,
            not_run=audit.did_not_run(),
        )
        report.issues(ctx.summary, synced)
    failure = failure_of(verdict, s.ignore_file, audit.missing(s.may_be_unavailable))
    if failure is not None:
        raise failure


main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
