"""What a lint run found (pure values): each linter's judged run and the run as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from shipyard.findings.model import Finding
from shipyard.findings.tool import Status, ToolRun
from shipyard.runtime import Outcome


@dataclass(frozen=True)
class LinterRun:
    """One linter's run, judged: where its version came from, how many files it got, what it
    found (narrowed to what is reported), and why a run that is not ok failed."""

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
    cached: int = 0  # files whose findings came from the cache
    workers: int = 1  # the most workers (cores) a run of it had; 0: it did not run
    output: str = ""  # everything it printed, when it is not ok
    #: changed-lines-only: the findings in the linted files that are not on lines the pull
    #: request changes (reported apart, never failing the step)
    existing: tuple[Finding, ...] = ()

    @classmethod
    def of(
        cls,
        run: ToolRun,
        *,
        version: str,
        source: str,
        files: int,
        findings: tuple[Finding, ...],
        informational: bool,
        cached: int = 0,
        workers: int = 1,
        existing: tuple[Finding, ...] = (),
    ) -> LinterRun:
        """The lint view of a judged tool run (the problem worded for the summary); an
        informational linter's errors are warnings."""
        if informational:
            findings = tuple(at_most_warning(finding) for finding in findings)
        return cls(
            linter=run.name,
            version=version,
            source=source,
            files=files,
            seconds=run.seconds,
            exit_code=run.exit_code,
            status=run.status,
            findings=findings,
            problem=problem_of(run),
            informational=informational,
            cached=cached,
            workers=workers,
            output=run.output,
            existing=existing,
        )

    def as_json(self) -> dict[str, object]:
        """Its entry in the ``linters-run`` output."""
        return {
            "tool": self.linter,
            "version": self.version,
            "source": self.source,
            "files": self.files,
            "findings": len(self.findings),
            "existing": len(self.existing),
            "seconds": round(self.seconds, 2),
            "exit_code": self.exit_code,
            "status": self.status,
            "cached": self.cached,
        }


def at_most_warning(finding: Finding) -> Finding:
    """The finding, an error made a warning (informational linters report, never fail)."""
    return replace(finding, level="warning") if finding.level == "error" else finding


def problem_of(run: ToolRun) -> str:
    """Why a run that is not ok failed, with the last lines of its output ("" when ok)."""
    if run.status == "timed-out":
        return f"{run.name} did not finish in time.\n{run.tail}"
    if run.status == "crashed":
        tail = run.tail.strip() or "(no output)"
        return f"{run.name} {run.reason}. Last lines of its output:\n{tail}"
    return ""


@dataclass(frozen=True)
class ReviewResult:
    """What the review did: the comments it posted (and the review's URL), the reported
    findings that got none (outside the changed lines, commented on before, over the cap),
    or why it posted nothing (``problem``)."""

    posted: int = 0
    outside: int = 0
    already: int = 0
    capped: int = 0
    problem: str = ""
    url: str = ""


@dataclass(frozen=True)
class LintOutcome(Outcome):
    """A finished lint run: the linters' runs, why each ran, what was linted, where the
    linted folder lies in the repository, and the fixes' diff."""

    runs: tuple[LinterRun, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)
    scope: str = ""
    prefix: str = ""
    diff: str = ""
    diff_file: str = ""
    sarif_file: str = ""
    skipped: Mapping[str, str] = field(default_factory=dict)  # linters not run, and why
    cores: str = ""  # how the linters' runs shared the cores
    lines: str = ""  # changed-lines-only: where the changed lines came from ("": not used)
    review: ReviewResult | None = None

    @property
    def cached_files(self) -> int:
        """The files whose findings came from the cache, counted per linter."""
        return sum(run.cached for run in self.runs)
