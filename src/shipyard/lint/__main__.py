"""python -m shipyard.lint: every linter the repository configures, in parallel."""

from __future__ import annotations

from pathlib import Path

from shipyard.runtime import ActionContext, Outcome, VerdictFailure, main_for
from shipyard.runtime.annotations import emit_annotations
from shipyard.runtime.sarif import write_sarif

from . import pipeline, report
from .config import load
from .detect import detect
from .plan import select, targets
from .repo import Repo
from .spec import SPEC, Settings


def run(ctx: ActionContext[Settings]) -> Outcome:
    settings = ctx.settings
    pipeline.refuse_pull_request_target(ctx)
    root = pipeline.root_of(ctx)
    repo = Repo(root, ctx.runner)
    files = repo.files()
    config = load(files, repo.read)
    for problem in config.problems:
        ctx.runner.annotate("warning", problem, title="lint: unreadable configuration")
    names, reasons = pipeline.choose(settings, detect(files, config))
    scope = pipeline.scope(ctx, repo)
    selected = select(files, settings.paths, settings.exclude)
    plan = targets(names, selected, scope.files, settings.whole_project, config.excludes)
    tools = pipeline.tools(ctx, [t.linter for t in plan if t.files], config)
    diff = pipeline.fix(ctx, root, plan, tools) if settings.fix else ""
    diff_file = pipeline.write_diff(ctx, diff) if settings.fix else ""
    runs = pipeline.lint(ctx, root, plan, tools, frozenset(selected))
    prefix = repo.prefix(ctx.run.workspace)
    total = report.totals(runs, settings.fail_on)
    # the runtime keeps room for the verdict and counts what is not shown in the summary
    emit_annotations(ctx.runner, report.annotations_of(runs, prefix), workspace=ctx.run.workspace)
    sarif = settings.sarif_file or str(Path(ctx.run.temp_dir) / "shipyard-lint" / "lint.sarif")
    write_sarif(sarif, report.sarif_runs(runs, prefix))
    report.summary(ctx.summary, runs, total, reasons=reasons, scope=scope.how)
    for name, value in report.outputs(runs, total, sarif, diff, diff_file).items():
        ctx.set_output(name, value)
    if total.crashed:
        raise VerdictFailure(
            f"{', '.join(total.crashed)} did not run properly; see the annotations and the log.",
            title=f"lint: {', '.join(total.crashed)} failed to run",
            hint="Fix the linter's configuration (its output tail is in the summary).",
        )
    if total.failing:
        raise VerdictFailure(
            f"{total.findings} findings ({total.errors} errors, {total.warnings} warnings) "
            f"from {', '.join(total.failing)}.",
            title="lint: findings",
            hint="Fix them, mark the linter informational, or set fail-on.",
        )
    return Outcome(summary_title=f"{total.findings} findings")


main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
