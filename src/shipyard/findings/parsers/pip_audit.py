"""pip-audit ``--format json``: one finding per vulnerability of each dependency.

An advisory is identified by the package and its id (``dependency``, name, id): the same
fingerprint as the offline OSV match and trivy give it, so the three merge and one ignore
entry covers them all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..model import Finding, ParseError, fingerprint_of, level_of

#: (canonical name, version) -> (file, line) where the pin is written.
Origins = Mapping[tuple[str, str], tuple[str, "int | None"]]


def parse(text: str, origins: Origins) -> list[Finding]:
    """pip-audit's JSON report; ParseError when there is none."""
    try:
        data = json.loads(text[text.find("{") :]) if "{" in text else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ParseError("pip-audit printed no JSON report")
    found = []
    for dep in data.get("dependencies", []):
        name, version = str(dep.get("name", "")).lower(), str(dep.get("version", ""))
        file, line = origins.get((name, version), (None, None))
        for vuln in dep.get("vulns", []):
            vid = str(vuln["id"])
            found.append(
                Finding(
                    tool="pip-audit",
                    rule=vid,
                    level=level_of("unknown"),
                    severity="unknown",
                    aliases=tuple(sorted(vuln.get("aliases") or [])),
                    message=str(vuln.get("description") or vid),
                    fingerprint=fingerprint_of("dependency", name, vid),
                    package=name,
                    installed=version,
                    fixed=tuple(vuln.get("fix_versions") or []),
                    file=file,
                    line=line,
                    title=f"{name} {version}: {vid}",
                )
            )
    return found
