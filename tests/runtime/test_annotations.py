"""Annotations within GitHub's limits: 10 of each level, most severe first, paths relative."""

from __future__ import annotations

import io

from shipyard.runtime import Runner
from shipyard.runtime.annotations import Annotation, emit_annotations, relative_to_workspace


def test_limits_most_severe_first_and_the_rest_counted() -> None:
    items = [Annotation("notice", f"n{i}") for i in range(3)]
    items += [
        Annotation("warning", f"w{i}", file=f"/ws/src/w{i}.py", line=i + 1) for i in range(12)
    ]
    items += [Annotation("error", f"e{i}") for i in range(11)]
    out = io.StringIO()
    runner = Runner(env={"GITHUB_ACTIONS": "true"}, stream=out)
    report = emit_annotations(runner, items, workspace="/ws")
    lines = out.getvalue().splitlines()
    # nine of each: the tenth place of each level is kept for the action's own verdict
    assert [line.split("::")[1].split()[0] for line in lines] == (
        ["error"] * 9 + ["warning"] * 9 + ["notice"] * 3
    )
    assert lines[0] == "::error::e0" and lines[8] == "::error::e8"
    assert lines[9] == "::warning file=src/w0.py,line=1::w0"
    assert dict(report.shown) == {"error": 9, "warning": 9, "notice": 3}
    assert dict(report.hidden) == {"error": 2, "warning": 3, "notice": 0}
    assert report.summary_line().startswith("2 errors and 3 warnings not shown as annotations")
    assert runner.budget.summary_line() == report.summary_line()


def test_nothing_hidden_means_no_summary_line() -> None:
    report = emit_annotations(
        Runner(env={}, stream=io.StringIO()), [Annotation("error", "x")], workspace=None
    )
    assert report.summary_line() == ""


def test_relative_to_workspace() -> None:
    assert relative_to_workspace("/ws/a/b.py", "/ws") == "a/b.py"
    assert relative_to_workspace("/ws/../etc/passwd", "/ws") == "/etc/passwd"
    assert relative_to_workspace("/other/x.py", "/ws") == "/other/x.py"
    assert relative_to_workspace("./c.py", "/ws") == "c.py"
    assert relative_to_workspace("d.py", None) == "d.py"
