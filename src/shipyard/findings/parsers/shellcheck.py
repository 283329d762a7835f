"""shellcheck ``-f json1``."""

from __future__ import annotations

from ..kinds import relative
from ..model import Finding, Level, ParseError, positive
from ._json import load, mapping, text

SEVERITY: dict[str, Level] = {
    "error": "error",
    "warning": "warning",
    "info": "note",
    "style": "note",
}


def parse(stdout: str, root: str) -> list[Finding]:
    """shellcheck's json1 report."""
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
                level=SEVERITY.get(text(entry.get("level")), "warning"),
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
