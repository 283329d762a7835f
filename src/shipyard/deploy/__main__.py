"""Entry point: ``python -m shipyard.deploy`` (flags named as the action's inputs)."""

from __future__ import annotations

import time

from shipyard.runtime import ActionContext, ExternalError, Outcome, VerdictFailure, main_for

from .spec import SPEC, Settings


def run(ctx: ActionContext[Settings]) -> Outcome:
    # Imported here: a run that fails on its inputs never loads the SSH and report machinery.
    from . import plan, report
    from .deploy import Deploy
    from .rollback import Rollback
    from .session import Session

    s = ctx.settings
    release = plan.release_id(time.time(), ctx.run.run_number, ctx.run.run_attempt)
    session = Session(ctx, release)
    session.open()
    mode = Rollback(ctx, session) if s.mode == "rollback" else Deploy(ctx, session)
    result = mode.run()
    for name, value in report.outputs(result, s.url, ctx.runner.redact).items():
        ctx.set_output(name, value, redact=False)
    report.summary(ctx.summary, result, s.app, s.image)
    partial = report.partial_warning(result, s.max_failures)
    if partial:
        ctx.runner.annotate("warning", partial, title="Some hosts not deployed")
    if result.status == "planned":
        for line in result.plan:
            ctx.runner.info(line)
    if result.status == "rolled-back" and s.mode == "deploy":
        raise VerdictFailure(
            f"The deploy of {result.release} was rolled back: " + "; ".join(result.story),
            title="Deploy rolled back",
            hint="The previous release is serving. Fix the new release and deploy again.",
        )
    if result.status == "failed":
        raise ExternalError(
            "The deploy failed: " + "; ".join(result.story),
            title="Deploy failed",
            hint="See each host's log group; hosts that could not be put back need a look.",
        )
    return Outcome(summary_title=f"{s.app} {result.status}")


main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
