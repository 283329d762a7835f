"""Findings as the run shows them (pure): annotations, summary tables and SARIF runs.

The emitters build values; the runtime writes them (``emit_annotations`` within GitHub's
annotation budget, ``Summary``, ``write_sarif``). What differs between actions is passed in:
the level or title of an annotation, the columns of a table, a SARIF result's properties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

from shipyard.runtime.annotations import Annotation
from shipyard.runtime.sarif import SarifResult, SarifRule, SarifRun
from shipyard.runtime.summary import Summary, link

from .model import Finding, Level

AnnotationLevel = Literal["error", "warning", "notice"]
ANNOTATION_LEVEL: dict[Level, AnnotationLevel] = {
    "error": "error",
    "warning": "warning",
    "note": "notice",
}
#: How a run's status is shown.
STATUS_ICON = {"ok": "✅", "crashed": "💥", "timed-out": "⏱️"}


def path_in(prefix: str, file: str | None) -> str | None:
    """``file`` (relative to the scanned folder) under ``prefix`` (that folder's path from
    the repository root or the workspace; "" or "." for none)."""
    if file is None:
        return None
    return f"{prefix.rstrip('/')}/{file}" if prefix and prefix != "." else file


def annotation(
    finding: Finding,
    *,
    level: Level | None = None,
    title: str | None = None,
    message: str | None = None,
    prefix: str = "",
) -> Annotation:
    """A finding as an annotation: at its level (or ``level``), titled "<tool> <rule>"
    (or ``title``); columns only on a one-line span (GitHub ignores them otherwise)."""
    one_line = finding.end_line in (None, finding.line)
    return Annotation(
        ANNOTATION_LEVEL[level or finding.level],
        finding.message if message is None else message,
        title=f"{finding.tool} {finding.rule}" if title is None else title,
        file=path_in(prefix, finding.file),
        line=finding.line,
        end_line=finding.end_line,
        col=finding.column if one_line else None,
        end_column=finding.end_column if one_line else None,
    )


def take_turns(groups: Sequence[Sequence[Annotation]]) -> list[Annotation]:
    """Most severe first; within a level the groups (one per tool) take turns, so that
    GitHub's 10 annotations of a kind are not all one tool's."""
    ordered: list[Annotation] = []
    for level in ANNOTATION_LEVEL.values():
        queues = [[item for item in group if item.level == level] for group in groups]
        for index in range(max((len(queue) for queue in queues), default=0)):
            ordered += [queue[index] for queue in queues if index < len(queue)]
    return ordered


Properties = Callable[[Finding], Mapping[str, object]]
BaselineState = Literal["new", "unchanged"]
UNCHANGED: BaselineState = "unchanged"


def sarif_run(
    tool: str,
    findings: Iterable[Finding],
    *,
    version: str | None = None,
    information_uri: str | None = None,
    prefix: str = "",
    properties: Properties | None = None,
    suppressed: Mapping[str, str] | None = None,
    existing: Iterable[Finding] | None = None,
) -> SarifRun:
    """One SARIF run of ``findings``: a rule per rule id (from its first finding), a result
    per finding at its level, with its fingerprint and ``properties(finding)``; a finding
    whose fingerprint is in ``suppressed`` carries that justification as a suppression.

    ``existing`` (a run compared against a baseline, such as a pull request's base): then
    ``findings`` are ``baselineState: new`` and the ``existing`` ones follow as
    ``baselineState: unchanged`` at level ``note`` (non-failing for any consumer that gates
    on the level), their own level kept in the property ``originalLevel``."""
    rules: dict[str, SarifRule] = {}
    results = []
    compared = existing is not None
    new: BaselineState | None = "new" if compared else None
    marked = [(f, new) for f in findings] + [(f, UNCHANGED) for f in existing or ()]
    for finding, state in marked:
        rules.setdefault(
            finding.rule,
            SarifRule(
                id=finding.rule,
                name=finding.title or None,
                short_description=finding.title[:200] or None,
                help_uri=finding.help_url,
                level=finding.level,
            ),
        )
        reason = (suppressed or {}).get(finding.fingerprint)
        extra = {"originalLevel": finding.level} if state == "unchanged" else {}
        results.append(
            SarifResult(
                rule_id=finding.rule,
                message=finding.message or finding.rule,
                level="note" if state == "unchanged" else finding.level,
                file=path_in(prefix, finding.file),
                start_line=finding.line,
                start_column=finding.column,
                end_line=finding.end_line,
                end_column=finding.end_column,
                fingerprint=finding.fingerprint,
                suppressed=reason is not None,
                justification=reason,
                properties={**(properties(finding) if properties else {}), **extra},
                baseline_state=state,
            )
        )
    return SarifRun(
        tool=tool,
        version=version,
        information_uri=information_uri,
        rules=list(rules.values()),
        results=results,
    )


#: A column of a findings table: its header and its cell of a finding.
Column = tuple[str, Callable[[Finding], object]]


def rule_cell(finding: Finding) -> object:
    """The rule, linked to its documentation when the tool gave a link."""
    return link(finding.rule, finding.help_url) if finding.help_url else finding.rule


def where(finding: Finding) -> str:
    """A package and its version, else ``file:line``."""
    if finding.package:
        return f"{finding.package} {finding.installed or ''}".strip()
    if finding.file:
        return f"{finding.file}:{finding.line}" if finding.line else finding.file
    return ""


def table(summary: Summary, findings: Iterable[Finding], columns: Sequence[Column]) -> Summary:
    """A table of ``findings``, one row each, one cell per column."""
    return summary.table(
        [header for header, _cell in columns],
        [[cell(finding) for _header, cell in columns] for finding in findings],
    )
