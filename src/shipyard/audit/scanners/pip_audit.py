"""pip-audit (dependencies, online): its own services, on the pins the manifests hold."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.findings.model import ParseError
from shipyard.findings.parsers import pip_audit as parser
from shipyard.findings.tool import Output, Parsed, Tool

from . import ScanEnv, no_report

if TYPE_CHECKING:
    from ..pins import Dependency


def pins(deps: Sequence[Dependency]) -> str:
    """A requirements file of every pin (what pip-audit audits, with no resolution)."""
    return "".join(f"{d.name}=={d.version}\n" for d in deps)


def job(env: ScanEnv, deps: Sequence[Dependency], requirements: Path) -> Tool:
    """pip-audit on `requirements` (the `pins` of `deps`, written by the scan; no resolution,
    no pip)."""
    report = env.temp_dir / "pip-audit.json"
    argv = (
        env.tool("pip-audit"),
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
        str(report),
    )
    origins = {(d.name, d.version): (d.file, d.line) for d in deps}
    return Tool(
        "pip-audit",
        argv,
        partial(parse, origins=origins),
        cwd=env.neutral_dir,
        timeout=env.timeout,
        report=report,
    )


def parse(output: Output, origins: parser.Origins) -> Parsed:
    """pip-audit's report as audit findings, at the pins' files and lines."""
    try:
        return Parsed(parser.parse(output.text, origins))
    except ParseError:
        raise ParseError(no_report("pip-audit", output)) from None
