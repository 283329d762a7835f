"""Dependencies offline: the pinned packages matched against an OSV directory."""

from __future__ import annotations

from collections.abc import Sequence

from .findings import Finding, fingerprint_of
from .manifests import Dependency
from .osv import OsvDatabase

OSV_URL = "https://osv.dev/vulnerability/"


def scan(db: OsvDatabase, deps: Sequence[Dependency]) -> list[Finding]:
    findings: list[Finding] = []
    for dep in deps:
        for advisory in db.query(dep.name, dep.version):
            findings.append(
                Finding(
                    scanner="osv",
                    id=advisory.id,
                    aliases=advisory.aliases,
                    severity=advisory.severity,
                    message=advisory.summary,
                    fingerprint=fingerprint_of("dependency", dep.name, advisory.id),
                    package=dep.name,
                    installed=dep.version,
                    fixed=advisory.fixed,
                    file=dep.file,
                    line=dep.line,
                    title=f"{dep.name} {dep.version}: {advisory.id}",
                    help_uri=OSV_URL + advisory.id,
                )
            )
    return findings
