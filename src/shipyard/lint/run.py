"""Runs the linters in parallel (each with its own buffered output) and judges each run."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shipyard.runtime import Runner
from shipyard.runtime.process import ProcessResult, ProcessTask, run_parallel

from .findings import Finding, ParseError
from .parsers import flake8
from .tools import LINTERS, Linter

Status = Literal["ok", "crashed", "timed-out"]


@dataclass(frozen=True)
class LinterRun:
    """One linter's run, judged."""

    linter: str
    version: str
    source: str
    files: int
    seconds: float
    exit_code: int
    status: Status
    findings: tuple[Finding, ...] = ()
    problem: str = ""  # why a run that is not ok failed, with the output's tail
    informational: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "tool": self.linter,
            "version": self.version,
            "source": self.source,
            "files": self.files,
            "findings": len(self.findings),
            "seconds": round(self.seconds, 2),
            "exit_code": self.exit_code,
            "status": self.status,
        }


@dataclass(frozen=True)
class Job:
    """One linter to run: its command and how to read it."""

    linter: str
    argv: tuple[str, ...]
    files: int
    version: str
    source: str
    extra_args: tuple[str, ...] = field(default=())


def split_args(text: str, linter: str) -> tuple[str, ...]:
    """The ``args`` input of one linter, split like a shell (never run by one)."""
    try:
        return tuple(shlex.split(text))
    except ValueError as exc:
        from shipyard.runtime import InputError

        raise InputError("args", f"{linter}: {exc}") from None


def judge(linter: Linter, result: ProcessResult, root: str) -> tuple[Status, list[Finding], str]:
    """(status, findings, problem) of one finished run (pure)."""
    if result.timed_out:
        return "timed-out", [], f"{linter.name} did not finish in time.\n{result.tail(20)}"
    if result.returncode not in linter.ok_codes:
        return "crashed", [], _problem(linter, result, f"exited with code {result.returncode}")
    try:
        findings = linter.parse(result.output, root)
    except ParseError as exc:
        return "crashed", [], _problem(linter, result, str(exc))
    if linter.text_output and result.returncode != 0 and not findings:
        lines = flake8.unparsed(result.output)
        if lines:
            return "crashed", [], _problem(linter, result, "failed without reporting a finding")
    if linter.formatter and result.returncode != 0 and not findings:
        return "crashed", [], _problem(linter, result, "failed without printing a diff")
    return "ok", findings, ""


def _problem(linter: Linter, result: ProcessResult, what: str) -> str:
    tail = result.tail(20).strip() or "(no output)"
    return f"{linter.name} {what}. Last lines of its output:\n{tail}"


def run_linters(
    jobs: Sequence[Job],
    *,
    runner: Runner,
    cwd: str,
    env: Mapping[str, str],
    timeout: float,
    informational: Sequence[str],
    root: str,
    on_findings: Callable[[str, list[Finding]], list[Finding]] = lambda _name, found: found,
) -> list[LinterRun]:
    """Run every job at once; ``on_findings`` narrows each linter's findings (only-changed)."""
    tasks = [ProcessTask(job.linter, job.argv, cwd=cwd, env=env, timeout=timeout) for job in jobs]
    results = run_parallel(tasks, runner=runner)
    runs = []
    for job, result in zip(jobs, results, strict=True):
        status, findings, problem = judge(LINTERS[job.linter], result, root)
        kept = on_findings(job.linter, findings)
        runs.append(
            LinterRun(
                linter=job.linter,
                version=job.version,
                source=job.source,
                files=job.files,
                seconds=result.duration,
                exit_code=result.returncode,
                status=status,
                findings=tuple(sorted(kept, key=Finding.sort_key)),
                problem=problem,
                informational=job.linter in informational,
            )
        )
    return runs
