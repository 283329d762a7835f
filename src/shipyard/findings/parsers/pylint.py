"""pylint ``--output-format=json2``."""

from __future__ import annotations

from ..kinds import relative
from ..model import Finding, Level, ParseError, positive
from ._json import load, mapping, text

SEVERITY: dict[str, Level] = {
    "fatal": "error",
    "error": "error",
    "warning": "warning",
    "refactor": "warning",
    "convention": "warning",
    "info": "note",
}
DOCS = "https://pylint.readthedocs.io/en/stable/user_guide/messages"


def _column(value: object) -> int | None:
    """pylint counts columns from 0."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value + 1
    return None


def parse(stdout: str, root: str) -> list[Finding]:
    """pylint's json2 report."""
    data = mapping(load(stdout, "pylint", empty={"messages": []}))
    messages = data.get("messages")
    if not isinstance(messages, list):
        raise ParseError("pylint printed JSON without a messages list (json2 format)")
    findings: list[Finding] = []
    for item in messages:
        entry = mapping(item)
        kind = text(entry.get("type"), "warning")
        symbol = text(entry.get("symbol"))
        path = text(entry.get("path")) or text(entry.get("absolutePath"))
        findings.append(
            Finding(
                tool="pylint",
                rule=text(entry.get("messageId")) or symbol or "pylint",
                level=SEVERITY.get(kind, "warning"),
                message=f"{text(entry.get('message'))} ({symbol})"
                if symbol
                else text(entry.get("message")),
                file=relative(path, root) or None,
                line=positive(entry.get("line")),
                column=_column(entry.get("column")),
                end_line=positive(entry.get("endLine")),
                end_column=_column(entry.get("endColumn")),
                help_url=f"{DOCS}/{kind}/{symbol}.html" if symbol and kind in SEVERITY else None,
            )
        )
    return findings
