"""What a scan found (a plain value): the scanners' runs, merged findings, warnings, notes,
the scanners that did not run, the resolved pins and how old the vulnerability data is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from shipyard.findings.model import Finding
from shipyard.findings.tool import ToolRun

from .pins import Dependency
from .resolution import Resolved


@dataclass(frozen=True)
class Unavailable:
    """A scanner that did not run (or not whole): which, through what, and why."""

    scanner: str  # dependencies, code, secrets, container, iac
    source: str  # the tool or database that failed (pip-audit, trivy's vulnerability DB...)
    reason: str


@dataclass(frozen=True)
class Database:
    """A vulnerability database the scan used and when it was last updated (None: unknown;
    ``live`` for an online service)."""

    name: str
    updated: dt.datetime | None = None
    how: str = ""  # how `updated` was found out
    live: bool = False


@dataclass
class Audit:
    """The scan's result. ``warnings`` say what was not scanned (a scanner that gave no
    report, a DB that could not be had, a file whose ranges were not resolved); ``notes`` what
    the summary should explain; ``runs`` hold each scanner's judged run (ok, crashed or timed
    out) and ``unavailable`` the scanners that did not run because of it."""

    scanners: list[str]
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    allowlisted: int = 0
    durations: dict[str, float] = field(default_factory=dict)
    runs: list[ToolRun] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)
    index: str = ""  # the index resolution used, as shown
    databases: list[Database] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    places: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    image_sbom: str | None = None  # trivy's CycloneDX document of the image
    image_name: str = ""  # the image (reference or archive name) the SBOM names

    def missing(self, allowed: Collection[str]) -> list[Unavailable]:
        """The scanners that did not run and are not ``allowed`` to be unavailable."""
        return [u for u in self.unavailable if u.scanner not in allowed]

    def did_not_run(self) -> list[str]:
        """The scanners that did not run, in the order of the audit's scanners."""
        missing = {u.scanner for u in self.unavailable}
        return [s for s in self.scanners if s in missing]
