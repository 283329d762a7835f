"""The tool protocol and the one runner: real processes, each run sorted into ok, crashed or
timed out, what it found read by its own parser (its report file when it writes one)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from shipyard.findings.model import Finding, ParseError
from shipyard.findings.runner import run_tools
from shipyard.findings.tool import Output, Parsed, Tool, judge
from shipyard.runtime import Runner


def parse_lines(output: Output) -> Parsed:
    """One finding per ``rule:message`` line; exit code 3 is the tool's own failure."""
    if output.exit_code == 3:
        raise ParseError("exited with code 3")
    found = []
    for line in output.text.splitlines():
        rule, _, message = line.partition(":")
        if not message:
            raise ParseError(f"not a finding: {line!r}")
        found.append(Finding("demo", rule, "warning", message))
    return Parsed(found, notes=[f"{len(found)} lines"])


def python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_runs_are_sorted_into_ok_crashed_and_timed_out(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    tools = [
        Tool("prints", python("print('R1:one'); print('R2:two')"), parse_lines),
        Tool("own failure", python("import sys; print('R1:x'); sys.exit(3)"), parse_lines),
        Tool("garbage", python("print('Traceback (most recent call last)')"), parse_lines),
        Tool("slow", python("import time; time.sleep(30)"), parse_lines, timeout=0.5),
        Tool(
            "writes a report",
            python(f"open({str(report)!r}, 'w').write('R3:three'); print('log only')"),
            parse_lines,
            report=report,
        ),
    ]
    stream = io.StringIO()
    runs = run_tools(tools, runner=Runner(env={"PATH": "/usr/bin:/bin"}, stream=stream))
    by_name = {run.name: run for run in runs}
    assert [run.name for run in runs] == [tool.name for tool in tools]
    ok = by_name["prints"]
    assert ok.status == "ok" and ok.ok and [f.rule for f in ok.findings] == ["R1", "R2"]
    assert ok.notes == ("2 lines",)
    own = by_name["own failure"]
    assert (own.status, own.reason, own.exit_code) == ("crashed", "exited with code 3", 3)
    assert own.tail == "R1:x" and not own.findings
    garbage = by_name["garbage"]
    assert garbage.status == "crashed" and garbage.reason.startswith("not a finding")
    assert by_name["slow"].status == "timed-out" and not by_name["slow"].ok
    assert [f.message for f in by_name["writes a report"].findings] == ["three"]
    assert "== prints\nR1:one\nR2:two\n" in stream.getvalue()  # each output whole, apart


def test_judge_alone_is_pure() -> None:
    tool = Tool("t", ("t",), lambda output: Parsed([Finding("t", "r", "note", output.text)]))
    run = judge(tool, exit_code=0, timed_out=False, seconds=1.5, log="log", report="rep")
    assert run.status == "ok" and run.findings[0].message == "rep" and run.seconds == 1.5
    late = judge(tool, exit_code=-15, timed_out=True, seconds=9.0, log="a\nb")
    assert (late.status, late.tail, late.findings) == ("timed-out", "a\nb", ())
    assert Output(1, "", "\n".join(str(n) for n in range(30))).tail(2) == "28\n29"
    assert json.dumps(run.exit_code) == "0"
