"""trivy ``--format json``: vulnerabilities, misconfigurations and secrets of each target.

Where a target is shown is the caller's to say (``place``: a history scan shows a commit's
file, an image scan the image's path), and so is the text of a secret's line
(``line_text``), read from wherever the scanned copy lies. Identities: a vulnerability by its
package and id (``dependency``, as pip-audit's and the OSV match's), a misconfiguration by its
check, file and message, a secret by its rule, file (without the commit) and line text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..model import Finding, LineText, ParseError, Severity, fingerprint_of, level_of
from ..severity import from_osv, from_scanner

#: ``place(target) -> (file as shown, file as identified)`` (the second without a commit).
Place = Callable[[str], "tuple[str, str]"]
KINDS = ("vulnerability", "misconfiguration", "secret")


def load(text: str) -> dict[str, Any]:
    """trivy's report; ParseError when there is none."""
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ParseError("trivy printed no JSON report")
    return data


def _severity(vuln: Mapping[str, Any]) -> Severity:
    """The advisory's own CVSS vector when it has one, else trivy's label."""
    vectors = []
    for source in (vuln.get("CVSS") or {}).values():
        for key in ("V40Vector", "V3Vector"):
            if source.get(key):
                vectors.append({"score": source[key]})
    found, _vector = from_osv(vectors)
    return found if found != "unknown" else from_scanner(vuln.get("Severity"))


def _vulnerability(item: Mapping[str, Any], shown: str) -> Finding:
    name = str(item.get("PkgName", ""))
    installed = str(item.get("InstalledVersion", ""))
    vid = str(item.get("VulnerabilityID", ""))
    fixed = [v.strip() for v in str(item.get("FixedVersion") or "").split(",") if v.strip()]
    severity = _severity(item)
    return Finding(
        tool="trivy",
        rule=vid,
        level=level_of(severity),
        severity=severity,
        aliases=tuple(str(v) for v in item.get("VendorIDs") or () if v != vid),
        message=str(item.get("Title") or item.get("Description") or vid).replace("\n", " "),
        fingerprint=fingerprint_of("dependency", name.lower(), vid),
        package=name,
        installed=installed,
        fixed=tuple(fixed),
        file=shown or None,
        title=f"{name} {installed}: {vid}",
        help_url=item.get("PrimaryURL"),
    )


def _misconfiguration(item: Mapping[str, Any], shown: str) -> Finding:
    cause = item.get("CauseMetadata") or {}
    check = str(item.get("ID") or item.get("AVDID") or "trivy-misconfig")
    message = str(item.get("Message") or item.get("Description") or "")
    resolution = item.get("Resolution")
    severity = from_scanner(item.get("Severity"))
    return Finding(
        tool="trivy",
        rule=check,
        level=level_of(severity),
        severity=severity,
        message=f"{message} Fix: {resolution}" if resolution else message,
        fingerprint=fingerprint_of("misconfig", check, shown, message),
        file=shown,
        line=int(cause.get("StartLine") or 0) or None,
        title=str(item.get("Title") or check),
        help_url=item.get("PrimaryURL"),
    )


def _secret(item: Mapping[str, Any], shown: str, path: str, line_text: str) -> Finding:
    rule = str(item.get("RuleID", "secret"))
    severity = from_scanner(item.get("Severity"))
    return Finding(
        tool="trivy",
        rule=f"secret:{rule}",
        level=level_of(severity),
        severity=severity,
        message=f"{item.get('Title', rule)}: {item.get('Match', '')}",
        fingerprint=fingerprint_of("secret", rule, path, line_text),
        file=shown,
        line=int(item.get("StartLine") or 0) or None,
        title=str(item.get("Title", rule)) or f"secret:{rule}",
    )


def items(result: Mapping[str, Any]) -> list[tuple[str, Any, str | None]]:
    """(kind, item, source) of every finding of one trivy result. ``source`` names the
    trivy-specific suppression that would have hidden it (``--show-suppressed``), else None."""
    found: list[tuple[str, Any, str | None]] = [
        ("vulnerability", v, None) for v in result.get("Vulnerabilities") or []
    ]
    found += [
        ("misconfiguration", m, None)
        for m in result.get("Misconfigurations") or []
        if m.get("Status", "FAIL") == "FAIL"
    ]
    found += [("secret", s, None) for s in result.get("Secrets") or []]
    for modified in result.get("ExperimentalModifiedFindings") or []:
        kind, item = str(modified.get("Type", "")), modified.get("Finding")
        if kind in KINDS and isinstance(item, dict):
            found.append((kind, item, str(modified.get("Source") or "trivy")[:60]))
    return found


def findings(data: Mapping[str, Any], place: Place, line_text: LineText) -> list[Finding]:
    """Every finding of a loaded report (suppressed ones included)."""
    found = []
    for result in data.get("Results") or []:
        target = str(result.get("Target", ""))
        shown, path = place(target)
        for kind, item, _source in items(result):
            if kind == "vulnerability":
                found.append(_vulnerability(item, shown))
            elif kind == "misconfiguration":
                found.append(_misconfiguration(item, shown))
            else:
                text = line_text(target, item.get("StartLine")) or str(item.get("Match", ""))
                found.append(_secret(item, shown, path, text))
    return found


def overridden(data: Mapping[str, Any]) -> list[str]:
    """The sources of the findings a trivy-specific suppression would have hidden, one per
    finding (an inline ``trivy:ignore`` comment, a .trivyignore, ...)."""
    return [
        source
        for result in data.get("Results") or []
        for _kind, _item, source in items(result)
        if source is not None
    ]
