"""mypy ``-O json``: one JSON object per line (notes are folded into their error)."""

from __future__ import annotations

import json
from dataclasses import replace

from ..kinds import relative
from ..model import Finding, positive
from ._json import mapping, text

DOCS = "https://mypy.readthedocs.io/en/stable/error_code_list.html"


def _column(value: object) -> int | None:
    """mypy's JSON columns count from 0."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value + 1
    return None


def _entries(stdout: str) -> list[dict[str, object]]:
    entries = []
    for raw in stdout.splitlines():
        line = raw.strip()
        if not line.startswith("{"):
            continue
        try:
            entries.append(mapping(json.loads(line)))
        except ValueError:
            continue
    return entries


def parse(stdout: str, root: str) -> list[Finding]:
    """mypy's JSON lines; a note on the line of an error is folded into its message."""
    findings: list[Finding] = []
    for entry in _entries(stdout):
        message = text(entry.get("message"))
        hint = text(entry.get("hint"))
        file = relative(text(entry.get("file")), root) or None
        line = positive(entry.get("line"))
        if text(entry.get("severity")) == "note":
            last = findings[-1] if findings else None
            if last is not None and last.file == file and last.line == line:
                # the fingerprint follows the message: recomputed (fingerprint="")
                findings[-1] = replace(last, message=f"{last.message}\n{message}", fingerprint="")
                continue
        if hint:
            message = f"{message}\n{hint}"
        code = text(entry.get("code")) or "misc"
        findings.append(
            Finding(
                tool="mypy",
                rule=code,
                level="note" if text(entry.get("severity")) == "note" else "error",
                message=message,
                file=file,
                line=line,
                column=_column(entry.get("column")),
                end_line=positive(entry.get("end_line")),
                end_column=_column(entry.get("end_column")),
                help_url=f"{DOCS}#code-{code}",
            )
        )
    return findings
