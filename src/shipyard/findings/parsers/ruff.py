"""ruff check ``--output-format json``."""

from __future__ import annotations

from ..kinds import relative
from ..model import Finding, Level, ParseError, positive
from ._json import load, mapping, text


def parse(stdout: str, root: str) -> list[Finding]:
    """ruff's JSON list of findings."""
    data = load(stdout, "ruff", empty=[])
    if not isinstance(data, list):
        raise ParseError("ruff printed JSON that is not a list of findings")
    findings: list[Finding] = []
    for item in data:
        entry = mapping(item)
        start, end = mapping(entry.get("location")), mapping(entry.get("end_location"))
        rule = text(entry.get("code")) or "syntax-error"
        level: Level = "error"
        if text(entry.get("severity")) == "warning":
            level = "warning"
        findings.append(
            Finding(
                tool="ruff",
                rule=rule,
                level=level,
                message=text(entry.get("message")),
                file=relative(text(entry.get("filename")), root) or None,
                line=positive(start.get("row")),
                column=positive(start.get("column")),
                end_line=positive(end.get("row")),
                end_column=positive(end.get("column")),
                fix_available=bool(entry.get("fix")),
                help_url=text(entry.get("url")) or None,
            )
        )
    return findings
