"""pip-audit (dependencies, online): its own services, on the pins the manifests hold."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..findings import Finding, fingerprint_of
from ..manifests import Dependency
from . import Job, ScanEnv, ScanOutput, tool


def job(env: ScanEnv, deps: Sequence[Dependency], requirements: Path) -> Job:
    """pip-audit on a requirements file of every pin (no resolution, no pip)."""
    requirements.write_text("".join(f"{d.name}=={d.version}\n" for d in deps), encoding="utf-8")
    argv = (
        tool("pip-audit"),
        "--requirement",
        str(requirements),
        "--no-deps",
        "--disable-pip",
        "--vulnerability-service",
        "osv",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--cache-dir",
        str(env.cache_dir / "pip-audit"),
        "--timeout",
        "60",
        "--output",
        str(env.temp_dir / "pip-audit.json"),
    )
    report = env.temp_dir / "pip-audit.json"
    return Job("pip-audit", argv, lambda c, o, e: parse(c, o, e, deps), env.neutral_dir, report)


def parse(code: int, stdout: str, stderr: str, deps: Sequence[Dependency]) -> ScanOutput:
    try:
        data = json.loads(stdout[stdout.find("{") :]) if "{" in stdout else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        tail = (stderr or stdout).strip().splitlines()[-1:] or [f"exit code {code}"]
        return ScanOutput(warnings=[f"pip-audit gave no report: {tail[0][:300]}"])
    where = {(d.name, d.version): d for d in deps}
    out = ScanOutput()
    for dep in data.get("dependencies", []):
        name, version = str(dep.get("name", "")).lower(), str(dep.get("version", ""))
        origin = where.get((name, version))
        for vuln in dep.get("vulns", []):
            vid = str(vuln["id"])
            out.findings.append(
                Finding(
                    scanner="pip-audit",
                    id=vid,
                    aliases=tuple(sorted(vuln.get("aliases") or [])),
                    severity="unknown",
                    message=str(vuln.get("description") or vid),
                    fingerprint=fingerprint_of("dependency", name, vid),
                    package=name,
                    installed=version,
                    fixed=tuple(vuln.get("fix_versions") or []),
                    file=origin.file if origin else None,
                    line=origin.line if origin else None,
                    title=f"{name} {version}: {vid}",
                )
            )
    return out
