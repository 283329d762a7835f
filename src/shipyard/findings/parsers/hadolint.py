"""hadolint ``-f json``."""

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


def help_url(code: str) -> str | None:
    """The documentation of a hadolint (DL) or shellcheck (SC) rule."""
    if code.startswith("DL"):
        return f"https://github.com/hadolint/hadolint/wiki/{code}"
    if code.startswith("SC"):
        return f"https://www.shellcheck.net/wiki/{code}"
    return None


def parse(stdout: str, root: str) -> list[Finding]:
    """hadolint's JSON list of findings."""
    data = load(stdout, "hadolint", empty=[])
    if not isinstance(data, list):
        raise ParseError("hadolint printed JSON that is not a list of findings")
    findings = []
    for item in data:
        entry = mapping(item)
        code = text(entry.get("code")) or "hadolint"
        findings.append(
            Finding(
                tool="hadolint",
                rule=code,
                level=SEVERITY.get(text(entry.get("level")), "warning"),
                message=text(entry.get("message")),
                file=relative(text(entry.get("file")), root) or None,
                line=positive(entry.get("line")),
                column=positive(entry.get("column")),
                help_url=help_url(code),
            )
        )
    return findings
