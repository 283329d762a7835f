"""Runs tools in parallel through the runtime (each one's output printed whole, as it ends)
and judges each run: ok, crashed or timed out (see ``shipyard.findings.tool``)."""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.runtime import Runner
from shipyard.runtime.process import ProcessResult, ProcessTask, run_parallel

from .tool import Tool, ToolRun, judge


def run_tools(
    tools: Sequence[Tool],
    *,
    runner: Runner,
    max_workers: int | None = None,
    cores: int | None = None,
    echo: bool = True,
) -> list[ToolRun]:
    """Run every tool at once (``max_workers`` at a time: one per core by default; or, with
    ``cores``, as many at a time as their ``slots`` fit in), in task order. With ``echo``
    each tool's output is printed whole as it ends; without, the caller shows what it needs
    (a run that is not ok keeps its output)."""
    tasks = [
        ProcessTask(
            tool.name,
            tool.argv,
            cwd=tool.cwd,
            env=tool.env,
            timeout=tool.timeout,
            slots=tool.slots,
            nice=tool.nice,
        )
        for tool in tools
    ]
    results = run_parallel(tasks, runner=runner, max_workers=max_workers, capacity=cores, echo=echo)
    return [finished(tool, result) for tool, result in zip(tools, results, strict=True)]


def finished(tool: Tool, result: ProcessResult) -> ToolRun:
    """The judged run of ``tool`` that ended with ``result`` (its report file read, if any)."""
    report = None
    if not result.timed_out and tool.report is not None and tool.report.is_file():
        report = tool.report.read_text(encoding="utf-8", errors="replace")
    return judge(
        tool,
        exit_code=result.returncode,
        timed_out=result.timed_out,
        seconds=result.duration,
        log=result.output,
        report=report,
        started=result.started,
    )
