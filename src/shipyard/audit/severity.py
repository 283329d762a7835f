"""The severity gate's arithmetic (pure): which severities fail the gate at a threshold, and
how a finding nobody rated gates (the ratings themselves: ``shipyard.findings.severity``)."""

from __future__ import annotations

from typing import Literal

from shipyard.findings.model import RANK, Severity

UnknownPolicy = Literal["high", "medium", "low", "ignore"]
Threshold = Literal["critical", "high", "medium", "low", "never"]


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
