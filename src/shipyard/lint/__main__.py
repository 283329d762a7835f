"""python -m shipyard.lint: every linter the repository configures, in parallel.

Initialise (the file-system inputs resolved: ``workspace``), run (``run.lint``: read the
repository, plan, install, fix, lint), report (``report.publish``), then the verdict.
"""

from __future__ import annotations

from shipyard.runtime import ActionContext, main_for

from .outcome import LintOutcome
from .spec import SPEC, Settings


def run(ctx: ActionContext[Settings]) -> LintOutcome:
    """Lint the repository: resolve the inputs, run the linters, publish, judge."""
    from . import report
    from .plan import refuse_pull_request_target
    from .run import lint
    from .workspace import resolve

    refuse_pull_request_target(ctx.settings, ctx.run.event_name)
    workspace = resolve(ctx.settings, ctx.run, ctx.child_env())
    outcome = lint(ctx.settings, workspace, ctx.runner, ctx.run, ctx.http)
    # the runtime keeps room for the verdict and counts what is not shown in the summary
    total = report.publish(ctx, outcome, ctx.settings.fail_on)
    failure = report.failure(total)
    if failure is not None:
        raise failure
    return outcome


main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
