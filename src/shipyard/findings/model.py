"""One finding model for every tool, linter or security scanner (pure).

A :class:`Finding` says what one tool reported: its ``rule``, its ``level`` (how it is shown:
an error, a warning or a note, in annotations and SARIF), its security ``severity`` where the
tool rates one (critical, high, medium, low, unknown), where it is, and its ``fingerprint``,
which identifies it across commits (never by its line number, which moves).

Two fingerprint schemes exist, both here, both stable (users' ignore files, allow-lists and
code scanning's alerts are keyed on them): :func:`fingerprint_of`, the scheme of every
security finding (and of any new tool), and :func:`message_fingerprint`, the linters' (a
finding's tool, rule, file and message), which a finding gets when its parser names none.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning", "note"]
#: Levels, most severe first.
LEVELS: tuple[Level, ...] = ("error", "warning", "note")
LEVEL_RANK: dict[str, int] = {"error": 0, "warning": 1, "note": 2}

Severity = Literal["critical", "high", "medium", "low", "unknown"]
#: Security severities, most severe first (unknown last).
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "unknown")
#: Rank of a known security severity; higher is worse.
RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}
#: How a security severity is shown: critical and high are errors, low a note; a finding
#: nobody rated is a warning (it still gates, see audit's unknown-severity).
SEVERITY_LEVEL: dict[Severity, Level] = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "unknown": "warning",
}
#: SARIF's ``security-severity`` (a CVSS-like score GitHub sorts alerts by) of each severity.
SECURITY_SCORES: dict[Severity, str] = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "2.0",
    "unknown": "8.0",
}


def level_of(severity: Severity) -> Level:
    """The level a finding of this security severity is shown at."""
    return SEVERITY_LEVEL[severity]


def worse(a: Severity, b: Severity) -> Severity:
    """The more severe of two severities; a known one wins over `unknown`."""
    if a == "unknown":
        return b
    if b == "unknown":
        return a
    return a if RANK[a] >= RANK[b] else b


def fingerprint_of(*parts: str) -> str:
    """The fingerprint of a finding identified by ``parts`` (e.g. its kind, rule, file and
    line text; never a line number): sha256 of the parts joined by U+001F, 24 hex digits.
    The scheme of every security finding; the audit's ignore file and allow-list use it."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:24]


def message_fingerprint(tool: str, rule: str, file: str | None, message: str) -> str:
    """The linters' fingerprint: sha256 of tool, rule, file and message joined by NUL, 32 hex
    digits. Stable across line moves; lint's code-scanning alerts are keyed on it."""
    text = "\0".join((tool, rule, file or "", message))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Location:
    """Where a finding is: a file relative to the scanned root ("/" separators) and a span
    (lines and columns count from 1; None when the tool does not say)."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Finding:
    """One problem one tool reported (or several tools, once merged), the same shape for all.

    ``fingerprint`` left empty is the linters' :func:`message_fingerprint` (recomputed when a
    copy is made with ``replace(..., fingerprint="")``); ``tools`` left empty is ``(tool,)``.
    """

    tool: str
    rule: str
    level: Level
    message: str
    file: str | None = None  # relative to the scanned root, "/" separators
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    severity: Severity | None = None  # the security severity; None: the tool rates none
    fingerprint: str = ""
    title: str = ""
    help_url: str | None = None
    fix_available: bool = False
    package: str | None = None  # a dependency's advisory: the package and its version
    installed: str | None = None
    fixed: tuple[str, ...] = ()  # versions that fix it
    aliases: tuple[str, ...] = ()  # other names of the rule (an advisory's CVE, GHSA, ...)
    #: The text that replaces lines ``line``..``end_line`` (or ``line``) to fix it, without a
    #: final newline ("" deletes them): a formatter's hunk. None when the tool gives none.
    replacement: str | None = None
    #: Every tool that reported it (the first is ``tool``).
    tools: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.tools:
            object.__setattr__(self, "tools", (self.tool,))
        if not self.fingerprint:
            fingerprint = message_fingerprint(self.tool, self.rule, self.file, self.message)
            object.__setattr__(self, "fingerprint", fingerprint)

    @property
    def location(self) -> Location:
        """Where it is, as one value."""
        return Location(self.file, self.line, self.column, self.end_line, self.end_column)

    @property
    def ids(self) -> frozenset[str]:
        """The rule and its aliases."""
        return frozenset((self.rule, *self.aliases))

    def sort_key(self) -> tuple[str, int, int, str]:
        """Orders findings by file, line, column and rule."""
        return (self.file or "", self.line or 0, self.column or 0, self.rule)


class ParseError(Exception):
    """A tool's output was not what its format promises (a crash or a misconfiguration)."""


def positive(value: object) -> int | None:
    """An int >= 1 from a JSON value, else None (tools use 0 for "no column")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = int(value)
    return number if number >= 1 else None


def count(findings: Iterable[Finding], level: Level) -> int:
    """How many of ``findings`` are at ``level``."""
    return sum(1 for finding in findings if finding.level == level)


#: ``line_text(file, line) -> the stripped text of that line`` ("" when unknown): how a parser
#: that identifies findings by their line's text is handed the source (it reads nothing).
LineText = Callable[[str, "int | None"], str]

#: A filter stage: which findings to keep.
Filter = Callable[[Finding], bool]


def in_files(files: Collection[str], *, unplaced: bool = True) -> Filter:
    """Keeps findings in ``files`` (and, with ``unplaced``, those that name no file)."""

    def test(finding: Finding) -> bool:
        if finding.file is None:
            return unplaced
        return finding.file in files

    return test


def on_lines(spans: Mapping[str, Sequence[tuple[int, int]]], *, unplaced: bool = True) -> Filter:
    """Keeps findings on the lines of ``spans`` (per file, sorted ``(first, last)`` line
    ranges, inclusive): those whose lines (``line``..``end_line``) meet a span of their file,
    those with a file that has spans but no line (they cannot be placed closer), and, with
    ``unplaced``, those that name no file."""

    def test(finding: Finding) -> bool:
        if finding.file is None:
            return unplaced
        ranges = spans.get(finding.file)
        if not ranges:
            return False
        if finding.line is None:
            return True
        last = max(finding.end_line or finding.line, finding.line)
        # the first span that ends at or after the finding's first line
        index = bisect.bisect_left(ranges, finding.line, key=lambda span: span[1])
        return index < len(ranges) and ranges[index][0] <= last

    return test


def keep(findings: Iterable[Finding], *filters: Filter) -> list[Finding]:
    """The findings every filter keeps, in order."""
    return [finding for finding in findings if all(test(finding) for test in filters)]
