"""What a lint run shows: annotations, the job summary, SARIF runs and the outputs (pure), and
``publish``, which writes them; ``failure`` is the verdict to raise."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from shipyard.findings import emit
from shipyard.findings.model import LEVEL_RANK, Finding, Level
from shipyard.runtime import ActionContext, Runner, Summary, VerdictFailure
from shipyard.runtime.annotations import Annotation, emit_annotations
from shipyard.runtime.sarif import SarifRun, write_sarif

from .outcome import LinterRun, LintOutcome, ReviewResult
from .review import MAX_COMMENTS

HOME = {
    "ruff": "https://docs.astral.sh/ruff/",
    "ruff-format": "https://docs.astral.sh/ruff/formatter/",
    "flake8": "https://flake8.pycqa.org/",
    "black": "https://black.readthedocs.io/",
    "isort": "https://pycqa.github.io/isort/",
    "pylint": "https://pylint.readthedocs.io/",
    "mypy": "https://mypy.readthedocs.io/",
    "hadolint": "https://github.com/hadolint/hadolint",
    "shellcheck": "https://www.shellcheck.net/",
    "zizmor": "https://docs.zizmor.sh/",
    "yamllint": "https://yamllint.readthedocs.io/",
}
#: The columns of the summary's per-file tables.
COLUMNS: tuple[emit.Column, ...] = (
    ("line", lambda f: f.line or ""),
    ("col", lambda f: f.column or ""),
    ("severity", lambda f: f.level),
    ("rule", emit.rule_cell),
    ("message", lambda f: f.message.splitlines()[0]),
)


@dataclass(frozen=True)
class Totals:
    """The run's counts, and the linters that fail the step."""

    findings: int
    errors: int
    warnings: int
    failing: tuple[str, ...]  # linters whose findings fail the step
    crashed: tuple[str, ...]  # linters that did not run properly (not informational)


def shown_level(finding: Finding, informational: bool) -> Level:
    """Informational linters report at most warnings."""
    if informational and finding.level == "error":
        return "warning"
    return finding.level


def totals(runs: Sequence[LinterRun], fail_on: str) -> Totals:
    """The counts of ``runs``, and which linters fail the step at ``fail_on``."""
    threshold = {"error": 0, "warning": 1, "never": -1}[fail_on]
    findings = [f for run in runs for f in run.findings]
    failing = tuple(
        run.linter
        for run in runs
        if not run.informational and any(LEVEL_RANK[f.level] <= threshold for f in run.findings)
    )
    crashed = tuple(run.linter for run in runs if run.status != "ok" and not run.informational)
    return Totals(
        findings=len(findings),
        errors=sum(f.level == "error" for f in findings),
        warnings=sum(f.level == "warning" for f in findings),
        failing=failing,
        crashed=crashed,
    )


def annotations_of(runs: Sequence[LinterRun], prefix: str) -> list[Annotation]:
    """Crashes first, then findings most severe first (the runtime keeps 10 of each level)."""
    crashes = [
        Annotation(
            "warning" if run.informational else "error",
            run.problem,
            title=f"{run.linter} did not run properly",
        )
        for run in runs
        if run.status != "ok"
    ]
    found = emit.take_turns(
        [
            [
                emit.annotation(f, level=shown_level(f, run.informational), prefix=prefix)
                for f in run.findings
            ]
            for run in runs
        ]
    )
    return crashes + found


def sarif_runs(runs: Sequence[LinterRun], prefix: str, compared: bool = False) -> list[SarifRun]:
    """One SARIF run per linter that ran (a linter with no finding clears its old alerts).
    ``compared`` (changed-lines-only on a pull request): the findings on the changed lines
    are ``baselineState: new``, the existing ones follow as ``unchanged`` at level note."""
    return [
        emit.sarif_run(
            run.linter,
            run.findings,
            version=run.version if run.version not in ("", "unknown") else None,
            information_uri=HOME.get(run.linter),
            prefix=prefix,
            properties=lambda f: {"fixAvailable": f.fix_available},
            existing=run.existing if compared else None,
        )
        for run in runs
    ]


#: GitHub keeps at most 1 MiB of outputs per job: a longer diff is cut (the file has it all).
DIFF_OUTPUT_LIMIT = 256 * 1024


def cut_diff(diff: str, diff_file: str) -> str:
    """The diff for the ``diff`` output: whole, or cut at a line within the limit."""
    if len(diff.encode("utf-8")) <= DIFF_OUTPUT_LIMIT:
        return diff
    kept = diff.encode("utf-8")[:DIFF_OUTPUT_LIMIT].decode("utf-8", "ignore")
    kept = kept[: kept.rfind("\n") + 1]
    return f"{kept}... cut at {DIFF_OUTPUT_LIMIT // 1024} KiB; the whole diff is in {diff_file}\n"


def outputs(
    runs: Sequence[LinterRun], total: Totals, sarif_file: str, diff: str, diff_file: str = ""
) -> dict[str, str]:
    """The action's outputs."""
    return {
        "findings": str(total.findings),
        "errors": str(total.errors),
        "warnings": str(total.warnings),
        "sarif-file": sarif_file,
        "linters-run": json.dumps([run.as_json() for run in runs], separators=(",", ":")),
        "diff": cut_diff(diff, diff_file),
        "diff-file": diff_file,
        "cached-files": str(sum(run.cached for run in runs)),
    }


def summary(
    out: Summary,
    runs: Sequence[LinterRun],
    total: Totals,
    *,
    reasons: Mapping[str, str],
    scope: str,
    skipped: Mapping[str, str] | None = None,
    lines: str = "",
    review: ReviewResult | None = None,
) -> None:
    """The job summary: one table of the linters, then every finding by tool and file (and,
    with changed-lines-only, the existing ones apart; with review, what it posted)."""
    verdict = (
        "no findings"
        if not total.findings
        else (f"{total.findings} findings ({total.errors} errors, {total.warnings} warnings)")
    )
    out.heading(f"Lint: {verdict}", 2)
    out.paragraph(f"Linted: {scope}.")
    if lines:
        _existing(out, runs, lines)
    if review is not None:
        _review(out, review)
    rows = [
        [
            f"{emit.STATUS_ICON[run.status]} {run.linter}"
            + (" (informational)" if run.informational else ""),
            run.version,
            run.source,
            reasons.get(run.linter, "the linters input"),
            f"{run.files} ({run.cached} cached)" if run.cached else run.files,
            len(run.findings),
            f"{run.seconds:.1f}s",
            run.exit_code,
        ]
        for run in runs
    ]
    out.table(
        ["linter", "version", "version from", "why it ran", "files", "findings", "time", "exit"],
        rows,
    )
    idle = [
        f"{name} ({why})" for name, why in reasons.items() if name not in {r.linter for r in runs}
    ]
    if idle:
        out.paragraph("Nothing to lint for: " + ", ".join(idle) + ".")
    for name, why in (skipped or {}).items():
        out.paragraph(f"Not run: {name}: {why} (name it in linters to run it).")
    for run in runs:
        if run.status != "ok":
            out.details(f"{run.linter}: {run.status}", run.problem, code=True)
    for run in runs:
        _findings_of(out, run)


#: Existing findings listed per linter at most (all are counted, and all are in the SARIF).
EXISTING_ROWS = 200


def _existing(out: Summary, runs: Sequence[LinterRun], lines: str) -> None:
    existing = sum(len(run.existing) for run in runs)
    out.paragraph(
        f"Judged: only findings on the {lines}. {existing} existing findings elsewhere are "
        "listed below and in the SARIF file (baselineState unchanged, level note); they do "
        "not fail the step."
    )
    for run in runs:
        if run.existing:
            shown = run.existing[:EXISTING_ROWS]
            body = emit.table(Summary(), shown, (("file", lambda f: f.file or ""), *COLUMNS))
            more = len(run.existing) - len(shown)
            text = body.render() + (f"\n\n... and {more} more (in the SARIF file)" if more else "")
            out.details(f"{run.linter}: {len(run.existing)} existing findings", text)


def _review(out: Summary, review: ReviewResult) -> None:
    if review.problem:
        out.paragraph(f"Review: {review.problem}")
        return
    counts = (
        (review.already, "already commented by an earlier run"),
        (review.capped, f"over the cap of {MAX_COMMENTS} comments per run"),
        (review.outside, "outside the lines the pull request changes (no comment possible)"),
    )
    parts = [f"{review.posted} comments posted"]
    parts += [f"{count} findings {what}" for count, what in counts if count]
    out.paragraph("Review: " + "; ".join(parts) + ".")
    if review.url:
        out.link("The review", review.url)


def _findings_of(out: Summary, run: LinterRun) -> None:
    if not run.findings:
        return
    out.heading(f"{run.linter} ({len(run.findings)})", 3)
    for file, group in groupby(run.findings, key=lambda f: f.file or "(no file)"):
        items = list(group)
        body = emit.table(Summary(), items, COLUMNS)
        out.details(f"{file} ({len(items)})", body.render())


#: Findings printed per linter in the log (the summary and the SARIF file have them all).
LOG_FINDINGS = 5000


def headline(run: LinterRun) -> str:
    """The one line of a linter in the log: version, files, findings (with changed-lines-only,
    and the existing ones) or how it failed, time, and the cores it had."""
    files = f"{run.files} files" + (f" ({run.cached} cached)" if run.cached else "")
    if run.status == "ok":
        result = f"{len(run.findings)} findings"
        result += f" ({len(run.existing)} existing, not judged)" if run.existing else ""
    elif run.status == "timed-out":
        result = "timed out"
    else:
        result = f"crashed (exit code {run.exit_code})"
    cores = f" on {run.workers} cores" if run.workers > 1 else ""
    role = " (informational)" if run.informational else ""
    return f"{run.linter} {run.version}{role}: {files}, {result}, {run.seconds:.1f} s{cores}"


def finding_line(finding: Finding, prefix: str) -> str:
    """``path:line:col: rule message`` (the message's first line)."""
    where = emit.path_in(prefix, finding.file) or "(no file)"
    for part in (finding.line, finding.column if finding.line else None):
        if part:
            where += f":{part}"
    message = (finding.message.splitlines() or [""])[0]
    return f"{where}: {finding.rule} {message}"


def log(runner: Runner, outcome: LintOutcome) -> None:
    """The log: per linter one line (a group holding its findings, when it has some); the
    raw output of a linter only when it did not run properly, in a group of its own."""
    for name, why in outcome.skipped.items():
        runner.info(f"{name}: not run: {why}.")
    if outcome.cores:
        runner.info(f"lint: {outcome.cores}.")
    for run in outcome.runs:
        line = headline(run)
        if not run.findings:
            runner.info(line)
        else:
            with runner.group(line):
                shown = [finding_line(f, outcome.prefix) for f in run.findings[:LOG_FINDINGS]]
                more = len(run.findings) - len(shown)
                runner.untrusted("\n".join(shown + ([f"... and {more} more"] if more else [])))
        if run.status != "ok":
            with runner.group(f"{run.linter}: its output"):
                runner.untrusted(run.output or "(no output)")


def publish(ctx: ActionContext[Any], outcome: LintOutcome, fail_on: str) -> Totals:
    """Write everything the run shows: annotations (within the step's budget, which keeps
    room for the verdict), the SARIF file, the summary and the outputs."""
    runs, total = outcome.runs, totals(outcome.runs, fail_on)
    log(ctx.runner, outcome)
    annotations = annotations_of(runs, outcome.prefix)
    emit_annotations(ctx.runner, annotations, workspace=ctx.run.workspace)
    write_sarif(outcome.sarif_file, sarif_runs(runs, outcome.prefix, bool(outcome.lines)))
    summary(
        ctx.summary,
        runs,
        total,
        reasons=outcome.reasons,
        scope=outcome.scope,
        skipped=outcome.skipped,
        lines=outcome.lines,
        review=outcome.review,
    )
    values = outputs(runs, total, outcome.sarif_file, outcome.diff, outcome.diff_file)
    for name, value in values.items():
        ctx.set_output(name, value)
    return total


def failure(total: Totals) -> VerdictFailure | None:
    """The step's failure: a linter that did not run properly, else failing findings."""
    if total.crashed:
        return VerdictFailure(
            f"{', '.join(total.crashed)} did not run properly; see the annotations and the log.",
            title=f"lint: {', '.join(total.crashed)} failed to run",
            hint="Fix the linter's configuration (its output tail is in the summary).",
        )
    if total.failing:
        return VerdictFailure(
            f"{total.findings} findings ({total.errors} errors, {total.warnings} warnings) "
            f"from {', '.join(total.failing)}.",
            title="lint: findings",
            hint="Fix them, mark the linter informational, or set fail-on.",
        )
    return None


__all__ = [
    "Totals",
    "annotations_of",
    "failure",
    "headline",
    "log",
    "outputs",
    "publish",
    "sarif_runs",
    "summary",
    "totals",
]
