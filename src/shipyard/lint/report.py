"""What the run shows (pure): annotations, the job summary, SARIF runs and the outputs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from shipyard.runtime import Summary
from shipyard.runtime.annotations import Annotation
from shipyard.runtime.sarif import SarifLevel, SarifResult, SarifRule, SarifRun
from shipyard.runtime.summary import link

from .findings import SEVERITY_RANK, Finding, Severity
from .run import LinterRun

LEVEL: dict[Severity, SarifLevel] = {"error": "error", "warning": "warning", "note": "note"}
ANNOTATION_LEVEL: dict[Severity, Literal["error", "warning", "notice"]] = {
    "error": "error",
    "warning": "warning",
    "note": "notice",
}
ICON = {"ok": "✅", "crashed": "💥", "timed-out": "⏱️"}
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


@dataclass(frozen=True)
class Totals:
    findings: int
    errors: int
    warnings: int
    failing: tuple[str, ...]  # linters whose findings fail the step
    crashed: tuple[str, ...]  # linters that did not run properly (not informational)


def shown_severity(finding: Finding, informational: bool) -> Severity:
    """Informational linters report at most warnings."""
    if informational and finding.severity == "error":
        return "warning"
    return finding.severity


def totals(runs: Sequence[LinterRun], fail_on: str) -> Totals:
    threshold = {"error": 0, "warning": 1, "never": -1}[fail_on]
    findings = [f for run in runs for f in run.findings]
    failing = tuple(
        run.linter
        for run in runs
        if not run.informational
        and any(SEVERITY_RANK[f.severity] <= threshold for f in run.findings)
    )
    crashed = tuple(run.linter for run in runs if run.status != "ok" and not run.informational)
    return Totals(
        findings=len(findings),
        errors=sum(f.severity == "error" for f in findings),
        warnings=sum(f.severity == "warning" for f in findings),
        failing=failing,
        crashed=crashed,
    )


def _path(prefix: str, file: str | None) -> str | None:
    if file is None:
        return None
    return f"{prefix.rstrip('/')}/{file}" if prefix and prefix != "." else file


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
    found = _round_robin(
        [[(shown_severity(f, run.informational), f) for f in run.findings] for run in runs]
    )
    notes = [
        Annotation(
            ANNOTATION_LEVEL[severity],
            finding.message,
            title=f"{finding.tool} {finding.rule}",
            file=_path(prefix, finding.file),
            line=finding.line,
            end_line=finding.end_line,
            col=finding.column if finding.end_line in (None, finding.line) else None,
            end_column=finding.end_column if finding.end_line in (None, finding.line) else None,
        )
        for severity, finding in found
    ]
    return crashes + notes


def _round_robin(per_tool: list[list[tuple[Severity, Finding]]]) -> list[tuple[Severity, Finding]]:
    """Most severe first; within a severity the linters take turns, so that GitHub's 10
    annotations per kind are not all one linter's."""
    ordered: list[tuple[Severity, Finding]] = []
    for severity in SEVERITY_RANK:
        queues = [[pair for pair in pairs if pair[0] == severity] for pairs in per_tool]
        for index in range(max((len(q) for q in queues), default=0)):
            ordered += [queue[index] for queue in queues if index < len(queue)]
    return ordered


def sarif_runs(runs: Sequence[LinterRun], prefix: str) -> list[SarifRun]:
    """One SARIF run per linter that ran (a linter with no finding clears its old alerts)."""
    documents = []
    for run in runs:
        rules: dict[str, SarifRule] = {}
        results = []
        for finding in run.findings:
            rules.setdefault(
                finding.rule,
                SarifRule(
                    id=finding.rule, help_uri=finding.help_url, level=LEVEL[finding.severity]
                ),
            )
            results.append(
                SarifResult(
                    rule_id=finding.rule,
                    message=finding.message,
                    level=LEVEL[finding.severity],
                    file=_path(prefix, finding.file),
                    start_line=finding.line,
                    start_column=finding.column,
                    end_line=finding.end_line,
                    end_column=finding.end_column,
                    fingerprint=finding.fingerprint,
                    properties={"fixAvailable": finding.fix_available},
                )
            )
        documents.append(
            SarifRun(
                tool=run.linter,
                version=run.version if run.version not in ("", "unknown") else None,
                information_uri=HOME.get(run.linter),
                rules=list(rules.values()),
                results=results,
            )
        )
    return documents


#: GitHub keeps at most 1 MiB of outputs per job: a longer diff is cut (the file has it all).
DIFF_OUTPUT_LIMIT = 256 * 1024


def cut_diff(diff: str, diff_file: str) -> str:
    if len(diff.encode("utf-8")) <= DIFF_OUTPUT_LIMIT:
        return diff
    kept = diff.encode("utf-8")[:DIFF_OUTPUT_LIMIT].decode("utf-8", "ignore")
    kept = kept[: kept.rfind("\n") + 1]
    return f"{kept}... cut at {DIFF_OUTPUT_LIMIT // 1024} KiB; the whole diff is in {diff_file}\n"


def outputs(
    runs: Sequence[LinterRun], total: Totals, sarif_file: str, diff: str, diff_file: str = ""
) -> dict[str, str]:
    return {
        "findings": str(total.findings),
        "errors": str(total.errors),
        "warnings": str(total.warnings),
        "sarif-file": sarif_file,
        "linters-run": json.dumps([run.as_json() for run in runs], separators=(",", ":")),
        "diff": cut_diff(diff, diff_file),
        "diff-file": diff_file,
    }


def _rule_cell(finding: Finding) -> object:
    return link(finding.rule, finding.help_url) if finding.help_url else finding.rule


def summary(
    out: Summary,
    runs: Sequence[LinterRun],
    total: Totals,
    *,
    reasons: Mapping[str, str],
    scope: str,
) -> None:
    """The job summary: one table of the linters, then every finding by tool and file."""
    verdict = (
        "no findings"
        if not total.findings
        else (f"{total.findings} findings ({total.errors} errors, {total.warnings} warnings)")
    )
    out.heading(f"Lint: {verdict}", 2)
    out.paragraph(f"Linted: {scope}.")
    rows = [
        [
            f"{ICON[run.status]} {run.linter}" + (" (informational)" if run.informational else ""),
            run.version,
            run.source,
            reasons.get(run.linter, "the linters input"),
            run.files,
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
    for run in runs:
        if run.status != "ok":
            out.details(f"{run.linter}: {run.status}", run.problem, code=True)
    for run in runs:
        if not run.findings:
            continue
        out.heading(f"{run.linter} ({len(run.findings)})", 3)
        for file, group in groupby(run.findings, key=lambda f: f.file or "(no file)"):
            items = list(group)
            body = Summary().table(
                ["line", "col", "severity", "rule", "message"],
                [
                    [
                        f.line or "",
                        f.column or "",
                        f.severity,
                        _rule_cell(f),
                        f.message.splitlines()[0],
                    ]
                    for f in items
                ],
            )
            out.details(f"{file} ({len(items)})", body.render())


__all__ = ["Totals", "annotations_of", "outputs", "sarif_runs", "summary", "totals"]
