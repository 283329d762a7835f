"""What a scan found (a plain value): the scanners' runs, merged findings, warnings, notes."""

from __future__ import annotations

from dataclasses import dataclass, field

from shipyard.findings.model import Finding
from shipyard.findings.tool import ToolRun


@dataclass
class Audit:
    """The scan's result. ``warnings`` say what was not scanned (a scanner that gave no
    report, a DB that could not be had); ``notes`` what the summary should explain;
    ``runs`` hold each scanner's judged run (ok, crashed or timed out)."""

    scanners: list[str]
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    allowlisted: int = 0
    durations: dict[str, float] = field(default_factory=dict)
    runs: list[ToolRun] = field(default_factory=list)
