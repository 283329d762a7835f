"""bandit ``-f json``: each result at its file and line.

A finding is identified by its test, file and the text of its line (``line_text``), so that
it keeps its fingerprint when lines above it move.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..kinds import relative
from ..model import Finding, LineText, ParseError, fingerprint_of, level_of
from ..severity import from_scanner


def load(text: str) -> dict[str, Any]:
    """bandit's report (its first JSON object); ParseError when there is none."""
    try:
        data = json.loads(text[text.find("{") :]) if "{" in text else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ParseError("bandit printed no JSON report")
    return data


def findings(data: dict[str, Any], root: Path, line_text: LineText) -> list[Finding]:
    """The results of a loaded report, files relative to ``root``."""
    found = []
    for item in data.get("results", []):
        rel = relative(str(item.get("filename", "")), root)
        line = int(item.get("line_number") or 0) or None
        test_id = str(item.get("test_id", "B000"))
        severity = from_scanner(str(item.get("issue_severity")))
        found.append(
            Finding(
                tool="bandit",
                rule=test_id,
                level=level_of(severity),
                severity=severity,
                message=f"{item.get('issue_text', '')} "
                f"(confidence: {str(item.get('issue_confidence', '')).lower()})",
                fingerprint=fingerprint_of("bandit", test_id, rel, line_text(rel, line)),
                file=rel,
                line=line,
                title=str(item.get("test_name", test_id)) or test_id,
                help_url=item.get("more_info"),
            )
        )
    return found


def unread(data: dict[str, Any], root: Path) -> list[str]:
    """The files bandit could not read (its report's errors), relative to ``root``."""
    return [relative(str(error.get("filename")), root) for error in data.get("errors", [])]


def parse(text: str, root: Path, line_text: LineText) -> list[Finding]:
    """bandit's JSON report, as findings."""
    return findings(load(text), root, line_text)
