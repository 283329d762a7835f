"""Security severities from an advisory's CVSS vector or a scanner's own label (pure).

Base scores come from the `cvss` package (the reference implementation of the FIRST
calculators, installed with the audit); bands are the CVSS qualitative ratings: 0.1-3.9 low,
4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical (0.0, "none", is counted as low).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .model import Severity

#: Scanners' own labels (CRITICAL, High, error, moderate, ...), lower-cased.
LABELS: dict[str, Severity] = {
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
    return LABELS.get((label or "").strip().lower(), "unknown")
