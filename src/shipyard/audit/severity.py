"""Severity from an advisory's CVSS vector (v3.x / v4.0 base score bands), pure.

Base scores come from the `cvss` package (the reference implementation of the FIRST
calculators); bands are the CVSS qualitative ratings: 0.1-3.9 low, 4.0-6.9 medium,
7.0-8.9 high, 9.0-10.0 critical (0.0, "none", is counted as low).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from .findings import RANK, Severity

UnknownPolicy = Literal["high", "medium", "low", "ignore"]
Threshold = Literal["critical", "high", "medium", "low", "never"]


def band(score: float) -> Severity:
    """The qualitative rating of a CVSS base score."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def base_score(vector: str) -> float | None:
    """The base score of a CVSS v2, v3.x or v4.0 vector; None when it cannot be parsed."""
    from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    text = vector.strip()
    try:
        if text.startswith("CVSS:4"):
            return float(CVSS4(text).base_score)
        if text.startswith("CVSS:3"):
            return float(CVSS3(text).base_score)
        return float(CVSS2(text).base_score)
    except (CVSSError, ValueError, KeyError, IndexError):
        return None


def from_osv(severities: Iterable[Mapping[str, object]]) -> tuple[Severity, str | None]:
    """The severity of an OSV record's `severity` list: the worst parseable vector wins.

    Returns the severity and the vector it came from (None when the record has none, which
    makes the severity `unknown`).
    """
    best: tuple[float, str] | None = None
    for entry in severities:
        vector = entry.get("score")
        if not isinstance(vector, str):
            continue
        score = base_score(vector)
        if score is not None and (best is None or score > best[0]):
            best = (score, vector)
    if best is None:
        return "unknown", None
    return band(best[0]), best[1]


def from_scanner(label: str | None) -> Severity:
    """Normalise a scanner's own label (CRITICAL, High, error, ...) to a severity."""
    text = (label or "").strip().lower()
    mapping: dict[str, Severity] = {
        "critical": "critical",
        "high": "high",
        "error": "high",
        "medium": "medium",
        "moderate": "medium",
        "warning": "medium",
        "low": "low",
        "info": "low",
        "note": "low",
        "style": "low",
        "negligible": "low",
    }
    return mapping.get(text, "unknown")


def gating_rank(severity: Severity, unknown: UnknownPolicy) -> int:
    """The rank a severity gates at: `unknown` takes the `unknown-severity` policy's rank
    (0, never blocking, for `ignore`)."""
    if severity == "unknown":
        return 0 if unknown == "ignore" else RANK[unknown]
    return RANK[severity]


def blocks(severity: Severity, threshold: Threshold, unknown: UnknownPolicy) -> bool:
    """Whether a finding of this severity fails the gate at `threshold`."""
    if threshold == "never":
        return False
    rank = gating_rank(severity, unknown)
    return rank > 0 and rank >= RANK[threshold]
