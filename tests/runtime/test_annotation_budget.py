"""Issue 17 (annotation budget): GitHub shows ten annotations of each level per step, so the
runtime owns the step's budget: findings leave room for the verdict or error it prints at the
end, and the count of what was not shown goes to the summary. Failed on 3824f64 (eleven
``::error`` lines, the verdict dropped by GitHub)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from shipyard.runtime import ActionContext, ActionSpec, Runner, VerdictFailure
from shipyard.runtime.annotations import Annotation, Level, emit_annotations
from tests.action_run import run_in_process
from tests.runner_commands import issued, issued_commands

SPEC = ActionSpec(name="budget", title="budget", description="annotation budget test")


def findings(level: Level, count: int) -> list[Annotation]:
    return [Annotation(level, f"{level} {i}", file="a.py", line=i + 1) for i in range(count)]


def fail_with_findings(errors: int, warnings: int, own_warnings: int = 0):  # type: ignore[no-untyped-def]
    def run(ctx: ActionContext) -> None:
        for i in range(own_warnings):
            ctx.runner.annotate("warning", f"own warning {i}")
        emit_annotations(
            ctx.runner, findings("error", errors) + findings("warning", warnings), workspace=None
        )
        raise VerdictFailure(f"{errors} errors", title="budget: findings")

    return run


@pytest.mark.parametrize("errors", [9, 10, 11, 25])
def test_the_verdict_is_always_one_of_the_ten_errors(tmp_path: Path, errors: int) -> None:
    result = run_in_process(SPEC, fail_with_findings(errors, 0), tmp_path, {}, {})
    assert result.code == 1
    shown = result.annotations("error")
    assert len(shown) == min(errors + 1, 10), result.log
    assert shown[-1].startswith("::error title=budget%3A findings::")
    hidden = errors - 9
    if hidden > 0:
        assert f"{hidden} error{'s' if hidden > 1 else ''} not shown as annotations" in (
            result.summary
        )
    else:
        assert "not shown as annotations" not in result.summary


def test_own_annotations_come_first_and_findings_take_what_is_left(tmp_path: Path) -> None:
    result = run_in_process(
        SPEC, fail_with_findings(3, 20, own_warnings=4), tmp_path, {}, {"RUNNER_TEMP": "/tmp"}
    )
    warnings = result.annotations("warning")
    assert len(warnings) == 9  # 4 own + 5 findings; one place kept
    assert [w for w in warnings if "own warning" in w] == [
        f"::warning::own warning {i}" for i in range(4)
    ]
    assert len(result.annotations("error")) == 4  # 3 findings + the verdict
    assert "15 warnings not shown as annotations" in result.summary


def test_an_own_annotation_past_the_limit_is_an_inert_log_line_and_counted(
    tmp_path: Path,
) -> None:
    def run(ctx: ActionContext) -> None:
        for i in range(12):
            ctx.runner.annotate("error", f"problem {i} ##[add-mask]x", title="T")

    result = run_in_process(SPEC, run, tmp_path, {}, {})
    assert len(result.annotations("error")) == 10
    assert "error: T: problem 10 ## [add-mask]x" in result.log
    assert "error: T: problem 11" in result.log
    assert issued(result.log).count("error") == 10 and "add-mask" not in issued(result.log)
    assert "2 errors not shown as annotations" in result.summary


def test_the_budget_is_per_level() -> None:
    out = io.StringIO()
    runner = Runner(env={"GITHUB_ACTIONS": "true"}, stream=out)
    emit_annotations(runner, findings("error", 30) + findings("notice", 30), workspace=None)
    runner.annotate("error", "verdict")
    runner.annotate("notice", "note")
    runner.annotate("warning", "w")
    names = [command.name for command in issued_commands(out.getvalue())]
    assert names.count("error") == 10 and names.count("notice") == 10
    assert names.count("warning") == 1
    assert dict(runner.budget.hidden) == {"error": 21, "notice": 21}
    assert runner.budget.summary_line() == (
        "21 errors and 21 notices not shown as annotations (GitHub shows 10 of each per step); "
        "see the full list."
    )
