"""ruff check ``--output-format json``."""

from __future__ import annotations

from shipyard.lint.findings import Finding, ParseError, Severity, positive, relative

from ._json import load, mapping, text


def parse(stdout: str, root: str) -> list[Finding]:
    data = load(stdout, "ruff", empty=[])
    if not isinstance(data, list):
        raise ParseError("ruff printed JSON that is not a list of findings")
    findings: list[Finding] = []
    for item in data:
        entry = mapping(item)
        start, end = mapping(entry.get("location")), mapping(entry.get("end_location"))
        rule = text(entry.get("code")) or "syntax-error"
        severity: Severity = "error"
        if text(entry.get("severity")) == "warning":
            severity = "warning"
        findings.append(
            Finding(
                tool="ruff",
                rule=rule,
                severity=severity,
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
