"""Dependencies offline: the pinned packages matched against an OSV directory."""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.findings.model import Finding, fingerprint_of, level_of

from .osv import OsvDatabase
from .pins import Dependency

OSV_URL = "https://osv.dev/vulnerability/"


def scan(db: OsvDatabase, deps: Sequence[Dependency]) -> list[Finding]:
    """One finding per advisory that affects a pinned version (named as pip-audit names it)."""
    findings: list[Finding] = []
    for dep in deps:
        for advisory in db.query(dep.name, dep.version):
            findings.append(
                Finding(
                    tool="osv",
                    rule=advisory.id,
                    level=level_of(advisory.severity),
                    severity=advisory.severity,
                    aliases=advisory.aliases,
                    message=advisory.summary,
                    fingerprint=fingerprint_of("dependency", dep.name, advisory.id),
                    package=dep.name,
                    installed=dep.version,
                    fixed=advisory.fixed,
                    file=dep.file,
                    line=dep.line,
                    title=f"{dep.name} {dep.version}: {advisory.id}",
                    help_url=OSV_URL + advisory.id,
                )
            )
    return findings
