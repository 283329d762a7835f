"""The severity gate over the merged findings (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .findings import SEVERITIES, Finding, sort_findings
from .ignore import IgnoreResult
from .severity import Threshold, UnknownPolicy, blocks


@dataclass(frozen=True)
class Verdict:
    """Every finding (most severe first), which are suppressed, which block."""

    findings: list[Finding]
    suppressed: Mapping[str, str]  # fingerprint -> reason
    blocking: list[Finding]
    threshold: Threshold
    unknown_policy: UnknownPolicy
    ignores: IgnoreResult = field(default_factory=IgnoreResult)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.fingerprint not in self.suppressed]

    def counts(self) -> dict[str, int]:
        """Findings by severity, not counting ignored ones."""
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for finding in self.active:
            counts[finding.severity] += 1
        return counts

    def by_scanner(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for finding in self.active:
            row = table.setdefault(finding.scanner, {s: 0 for s in SEVERITIES})
            row[finding.severity] += 1
        return dict(sorted(table.items()))

    def is_blocking(self, finding: Finding) -> bool:
        return any(b.fingerprint == finding.fingerprint for b in self.blocking)


def evaluate(
    findings: Sequence[Finding],
    ignores: IgnoreResult,
    threshold: Threshold,
    unknown: UnknownPolicy,
) -> Verdict:
    ordered = sort_findings(findings)
    blocking = [
        f
        for f in ordered
        if f.fingerprint not in ignores.suppressed and blocks(f.severity, threshold, unknown)
    ]
    return Verdict(ordered, dict(ignores.suppressed), blocking, threshold, unknown, ignores)
