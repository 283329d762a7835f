"""The same advisory reported twice becomes one finding; the findings' report order (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from shipyard.findings.model import SEVERITIES, Finding, level_of, worse


def _merge_two(first: Finding, other: Finding) -> Finding:
    aliases = [a for a in (*first.aliases, other.rule, *other.aliases) if a != first.rule]
    fixed = list(first.fixed) + [v for v in other.fixed if v not in first.fixed]
    tools = list(first.tools) + [t for t in other.tools if t not in first.tools]
    severity = worse(first.severity or "unknown", other.severity or "unknown")
    return replace(
        first,
        aliases=tuple(dict.fromkeys(aliases)),
        fixed=tuple(fixed),
        severity=severity,
        level=level_of(severity),
        tools=tuple(tools),
        file=first.file or other.file,
        line=first.line if first.file else other.line,
        help_url=first.help_url or other.help_url,
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
        key=lambda f: (order[f.severity or "unknown"], f.tool, f.file or "", f.line or 0, f.rule),
    )
