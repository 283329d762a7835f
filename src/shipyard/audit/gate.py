"""The severity gate over the merged findings (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shipyard.findings.model import SEVERITIES, Finding

from .ignore import IgnoreResult
from .merge import sort_findings
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
    ignore_unfixed: bool = False

    @property
    def unfixed(self) -> list[Finding]:
        """The active vulnerabilities whose advisory names no fixed version."""
        return [f for f in self.active if unfixed(f)]

    @property
    def active(self) -> list[Finding]:
        """The findings the ignore file does not suppress."""
        return [f for f in self.findings if f.fingerprint not in self.suppressed]

    def counts(self) -> dict[str, int]:
        """Findings by severity, not counting ignored ones."""
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for finding in self.active:
            counts[finding.severity or "unknown"] += 1
        return counts

    def by_scanner(self) -> dict[str, dict[str, int]]:
        """Active findings by scanner (the first that reported each) and severity."""
        table: dict[str, dict[str, int]] = {}
        for finding in self.active:
            row = table.setdefault(finding.tool, dict.fromkeys(SEVERITIES, 0))
            row[finding.severity or "unknown"] += 1
        return dict(sorted(table.items()))

    def is_blocking(self, finding: Finding) -> bool:
        """Whether ``finding`` fails the gate."""
        return any(b.fingerprint == finding.fingerprint for b in self.blocking)


def unfixed(finding: Finding) -> bool:
    """A vulnerability (a package's advisory) that names no fixed version."""
    return finding.package is not None and not finding.fixed


def evaluate(
    findings: Sequence[Finding],
    ignores: IgnoreResult,
    threshold: Threshold,
    unknown: UnknownPolicy,
    ignore_unfixed: bool = False,
) -> Verdict:
    """The verdict over ``findings``: sorted, the ignored ones suppressed, the rest at or
    above ``threshold`` blocking (an unrated one gates as ``unknown`` says); with
    ``ignore_unfixed``, a vulnerability with no fixed version is reported but does not gate."""
    ordered = sort_findings(findings)
    blocking = [
        f
        for f in ordered
        if f.fingerprint not in ignores.suppressed
        and blocks(f.severity or "unknown", threshold, unknown)
        and not (ignore_unfixed and unfixed(f))
    ]
    return Verdict(
        ordered, dict(ignores.suppressed), blocking, threshold, unknown, ignores, ignore_unfixed
    )
