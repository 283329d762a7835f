"""The tool protocol: a command line (``argv``) and the parser of what it printed
(``parse``); and the judgement of a finished run: ok, crashed or timed out (pure).

A parser raises :class:`~shipyard.findings.model.ParseError` when the run did not work (an
exit code the tool uses for its own failures, output that is not its format): the run is then
``crashed``, with the parser's reason. Each action words crashes its own way (lint fails the
step with the output's tail; audit reports that the scanner gave no report).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .model import Finding, ParseError

Status = Literal["ok", "crashed", "timed-out"]
#: Lines of output kept with a run, for the message of a crash.
TAIL_LINES = 20


@dataclass(frozen=True)
class Output:
    """What a finished tool gave: its exit code, the text to parse (its report file when it
    writes one, else its output) and everything it printed (stdout and stderr merged)."""

    exit_code: int
    text: str
    log: str = ""

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last ``lines`` lines of what it printed."""
        return "\n".join(self.log.splitlines()[-lines:])


@dataclass(frozen=True)
class Parsed:
    """What a parser read from one run: findings, and what the tool said besides them
    (``warnings``: something was not scanned; ``notes``: for the summary)."""

    findings: Sequence[Finding] = ()
    warnings: Sequence[str] = ()
    notes: Sequence[str] = ()


Parse = Callable[[Output], Parsed]


@dataclass(frozen=True)
class Tool:
    """One tool to run: its name (for the log and the results), its command line and its
    parser; where it runs, its environment (None: the run's, without credentials), its time
    limit, and the file it writes its report to (else its output is parsed)."""

    name: str
    argv: tuple[str, ...]
    parse: Parse
    cwd: str | Path | None = None
    env: Mapping[str, str] | None = None
    timeout: float | None = None
    report: Path | None = None
    slots: int = 1  # the cores it takes (a tool that starts N workers takes N)
    nice: int = 0  # > 0: it runs at that lower priority (see ProcessTask)


@dataclass(frozen=True)
class ToolRun:
    """One tool's run, judged. ``reason`` says why a run that is not ok failed; ``tail``
    holds the last lines of its output."""

    name: str
    status: Status
    exit_code: int
    seconds: float
    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reason: str = ""
    tail: str = ""
    output: str = ""  # everything it printed, kept only when it is not ok
    started: float = 0.0  # time.monotonic() at its start

    @property
    def ok(self) -> bool:
        """Whether it ran to the end and its output could be read."""
        return self.status == "ok"


def judge(
    tool: Tool,
    *,
    exit_code: int,
    timed_out: bool,
    seconds: float,
    log: str,
    report: str | None = None,
    started: float = 0.0,
) -> ToolRun:
    """The run of ``tool`` that ended so: timed out, crashed (its parser's reason) or ok with
    what it found. ``report`` is the text of its report file (None: it wrote none)."""
    output = Output(exit_code, log if report is None else report, log)
    if timed_out:
        return ToolRun(
            tool.name,
            "timed-out",
            exit_code,
            seconds,
            reason="timed out",
            tail=output.tail(),
            output=log,
            started=started,
        )
    try:
        parsed = tool.parse(output)
    except ParseError as exc:
        return ToolRun(
            tool.name,
            "crashed",
            exit_code,
            seconds,
            reason=str(exc),
            tail=output.tail(),
            output=log,
            started=started,
        )
    return ToolRun(
        tool.name,
        "ok",
        exit_code,
        seconds,
        findings=tuple(parsed.findings),
        warnings=tuple(parsed.warnings),
        notes=tuple(parsed.notes),
        started=started,
    )
