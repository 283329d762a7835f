"""zizmor ``--format json``: each finding's primary location."""

from __future__ import annotations

from typing import Any

from ..kinds import relative
from ..model import Finding, Level, ParseError
from ._json import load, mapping, text

SEVERITY: dict[str, Level] = {"High": "error", "Medium": "warning", "Low": "note"}


def _primary(locations: list[Any]) -> dict[str, Any]:
    for location in locations:
        if mapping(mapping(location).get("symbolic")).get("kind") == "Primary":
            return mapping(location)
    return mapping(locations[0]) if locations else {}


def _point(value: Any) -> tuple[int | None, int | None]:
    point = mapping(value)
    row, column = point.get("row"), point.get("column")
    return (
        row + 1 if isinstance(row, int) else None,
        column + 1 if isinstance(column, int) else None,
    )


def _path(symbolic: dict[str, Any]) -> str:
    local = mapping(mapping(symbolic.get("key")).get("Local"))
    return text(local.get("verbatim_path")) or text(local.get("given_path"))


def parse(stdout: str, root: str) -> list[Finding]:
    """zizmor's JSON findings (the ones it ignores itself are left out)."""
    data = load(stdout, "zizmor", empty=[])
    if not isinstance(data, list):
        raise ParseError("zizmor printed JSON that is not a list of findings")
    findings = []
    for item in data:
        entry = mapping(item)
        if entry.get("ignored"):
            continue
        locations = entry.get("locations")
        location = _primary(locations if isinstance(locations, list) else [])
        symbolic = mapping(location.get("symbolic"))
        concrete = mapping(mapping(location.get("concrete")).get("location"))
        line, column = _point(concrete.get("start_point"))
        end_line, end_column = _point(concrete.get("end_point"))
        severity = text(mapping(entry.get("determinations")).get("severity"))
        annotation = text(symbolic.get("annotation"))
        description = text(entry.get("desc"))
        findings.append(
            Finding(
                tool="zizmor",
                rule=text(entry.get("ident")) or "zizmor",
                level=SEVERITY.get(severity, "note"),
                message=f"{description}: {annotation}" if annotation else description,
                file=relative(_path(symbolic), root) or None,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                fix_available=bool(entry.get("fixes")),
                help_url=text(entry.get("url")) or None,
            )
        )
    return findings
