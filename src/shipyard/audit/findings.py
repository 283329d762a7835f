"""One normalised finding model for every scanner, and the merge of duplicates (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

Severity = Literal["critical", "high", "medium", "low", "unknown"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "unknown")
#: Rank of a known severity; higher is worse.
RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def fingerprint_of(*parts: str) -> str:
    """A stable short fingerprint of the parts that identify a finding."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:24]


def worse(a: Severity, b: Severity) -> Severity:
    """The more severe of two severities; a known one wins over `unknown`."""
    if a == "unknown":
        return b
    if b == "unknown":
        return a
    return a if RANK[a] >= RANK[b] else b


@dataclass(frozen=True)
class Finding:
    """One problem found by one or more scanners."""

    scanner: str
    id: str
    severity: Severity
    message: str
    fingerprint: str
    aliases: tuple[str, ...] = ()
    package: str | None = None
    installed: str | None = None
    fixed: tuple[str, ...] = ()
    file: str | None = None
    line: int | None = None
    title: str = ""
    help_uri: str | None = None
    #: Every scanner that reported it (the first is `scanner`).
    scanners: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.scanners:
            object.__setattr__(self, "scanners", (self.scanner,))

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))

    def to_json(self) -> dict[str, object]:
        return {
            "scanner": self.scanner,
            "scanners": list(self.scanners),
            "id": self.id,
            "aliases": list(self.aliases),
            "severity": self.severity,
            "package": self.package,
            "installed": self.installed,
            "fixed": list(self.fixed),
            "file": self.file,
            "line": self.line,
            "title": self.title,
            "message": self.message,
            "fingerprint": self.fingerprint,
        }


def _merge_two(first: Finding, other: Finding) -> Finding:
    aliases = [a for a in (*first.aliases, other.id, *other.aliases) if a != first.id]
    fixed = list(first.fixed) + [v for v in other.fixed if v not in first.fixed]
    scanners = list(first.scanners) + [s for s in other.scanners if s not in first.scanners]
    return replace(
        first,
        aliases=tuple(dict.fromkeys(aliases)),
        fixed=tuple(fixed),
        severity=worse(first.severity, other.severity),
        scanners=tuple(scanners),
        file=first.file or other.file,
        line=first.line if first.file else other.line,
        help_uri=first.help_uri or other.help_uri,
    )


def _package_key(finding: Finding) -> tuple[str, str] | None:
    if finding.package is None:
        return None
    name = finding.package.lower().replace("_", "-").replace(".", "-")
    return (name, finding.installed or "")


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """Collapse the same advisory reported twice (two scanners, or two names of it) into one.

    Two findings are the same when they concern the same package at the same version and
    their sets of ids and aliases intersect, or when they share a fingerprint. The first one
    seen keeps its id and fingerprint; the others' ids become aliases.
    """
    merged: list[Finding] = []
    by_fingerprint: dict[str, int] = {}
    by_package: dict[tuple[str, str], list[int]] = {}
    for finding in findings:
        index = by_fingerprint.get(finding.fingerprint)
        key = _package_key(finding)
        if index is None and key is not None:
            index = next((i for i in by_package.get(key, []) if merged[i].ids & finding.ids), None)
        if index is None:
            by_fingerprint[finding.fingerprint] = len(merged)
            if key is not None:
                by_package.setdefault(key, []).append(len(merged))
            merged.append(finding)
        else:
            merged[index] = _merge_two(merged[index], finding)
    return merged


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first (unknown after low), then by scanner, file, line and id."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(
        findings,
        key=lambda f: (order[f.severity], f.scanner, f.file or "", f.line or 0, f.id),
    )
