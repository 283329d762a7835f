"""The normalised finding every linter's output is turned into (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "note"]
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "note": 2}


@dataclass(frozen=True)
class Finding:
    """One problem a linter reported, in the same shape whatever the linter."""

    tool: str
    rule: str
    severity: Severity
    message: str
    file: str | None = None  # relative to the linted root, "/" separators
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    fix_available: bool = False
    help_url: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: tool, rule, file and message."""
        text = "\0".join((self.tool, self.rule, self.file or "", self.message))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.rule)


class ParseError(Exception):
    """A linter's output was not what its format promises (a crash or a misconfiguration)."""


def relative(path: str, root: str) -> str:
    """``path`` relative to ``root`` when it lies under it, with "/" separators."""
    text = path.replace("\\", "/")
    base = root.replace("\\", "/").rstrip("/") + "/"
    if text.startswith(base):
        text = text[len(base) :]
    while text.startswith("./"):
        text = text[2:]
    return text


def positive(value: object) -> int | None:
    """An int >= 1 from a JSON value, else None (linters use 0 for "no column")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = int(value)
    return number if number >= 1 else None


def count(findings: Iterable[Finding], severity: Severity) -> int:
    return sum(1 for finding in findings if finding.severity == severity)
