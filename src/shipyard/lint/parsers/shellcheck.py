"""shellcheck ``-f json1``."""

from __future__ import annotations

from shipyard.lint.findings import Finding, ParseError, Severity, positive, relative

from ._json import load, mapping, text

SEVERITY: dict[str, Severity] = {
    "error": "error",
    "warning": "warning",
    "info": "note",
    "style": "note",
}


def parse(stdout: str, root: str) -> list[Finding]:
    data = mapping(load(stdout, "shellcheck", empty={"comments": []}))
    comments = data.get("comments")
    if not isinstance(comments, list):
        raise ParseError("shellcheck printed JSON without a comments list (json1 format)")
    findings = []
    for item in comments:
        entry = mapping(item)
        number = entry.get("code")
        code = f"SC{number}" if isinstance(number, int) else "shellcheck"
        findings.append(
            Finding(
                tool="shellcheck",
                rule=code,
                severity=SEVERITY.get(text(entry.get("level")), "warning"),
                message=text(entry.get("message")),
                file=relative(text(entry.get("file")), root) or None,
                line=positive(entry.get("line")),
                column=positive(entry.get("column")),
                end_line=positive(entry.get("endLine")),
                end_column=positive(entry.get("endColumn")),
                fix_available=bool(entry.get("fix")),
                help_url=f"https://www.shellcheck.net/wiki/{code}"
                if isinstance(number, int)
                else None,
            )
        )
    return findings
