"""Offline matching of pinned packages against an OSV database directory (pure).

The directory holds one OSV record per file (`.json`, `.yaml` or `.yml`), anywhere below it
(the PyPA advisory database keeps `vulns/<package>/<ID>.yaml`). A package version is affected
when it falls in one of the record's ECOSYSTEM ranges for PyPI (PEP 440 ordering) or is listed
in its `versions`. Results are named as pip-audit names them: the id is the first of
`[id, *aliases]` sorted PYSEC, then CVE, then the rest; aliases are the other names; fix
versions are the `fixed` events of the ECOSYSTEM range, sorted; withdrawn records are skipped;
two results of one package that share a name are merged into one (PYSEC first).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard.findings.model import Severity, worse
from shipyard.findings.severity import from_osv


@dataclass(frozen=True)
class Advisory:
    """One OSV record that affects one package version, named as pip-audit names it."""

    id: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]
    summary: str
    severity: Severity
    vector: str | None
    published: str | None = None

    @property
    def ids(self) -> frozenset[str]:
        """Its id and aliases."""
        return frozenset((self.id, *self.aliases))


def _id_key(name: str) -> int:
    if name.startswith("PYSEC"):
        return 1
    if name.startswith("CVE"):
        return 2
    return 3


def _load(path: Path) -> dict[str, Any] | None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
    else:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    return data if isinstance(data, dict) else None


class OsvDatabase:
    """An OSV directory indexed by canonical PyPI package name (records read lazily)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: dict[str, list[Path]] | None = None
        self._records: dict[Path, dict[str, Any] | None] = {}
        self.errors: list[str] = []

    def _build_index(self) -> dict[str, list[Path]]:
        index: dict[str, list[Path]] = {}
        files = [p for p in self.root.rglob("*") if p.suffix in (".json", ".yaml", ".yml")]
        for path in sorted(files):
            # The PyPA layout names the package by folder; anything else is read to find out.
            names = self._names_of(path)
            for name in names:
                index.setdefault(name, []).append(path)
        return index

    def _names_of(self, path: Path) -> set[str]:
        parent = path.parent
        if parent != self.root and (parent.parent == self.root or parent.parent.name == "vulns"):
            return {canonicalize_name(parent.name)}
        record = self.record(path)
        if record is None:
            return set()
        return {
            canonicalize_name(str(a.get("package", {}).get("name", "")))
            for a in record.get("affected", []) or []
            if a.get("package", {}).get("ecosystem") == "PyPI"
        }

    def record(self, path: Path) -> dict[str, Any] | None:
        """The OSV record in ``path`` (None, noted in ``errors``, when it cannot be read)."""
        if path not in self._records:
            try:
                self._records[path] = _load(path)
            except (OSError, ValueError) as exc:
                self.errors.append(f"{path}: {exc}")
                self._records[path] = None
        return self._records[path]

    def records_for(self, package: str) -> list[dict[str, Any]]:
        """Every record that names ``package``."""
        if self._index is None:
            self._index = self._build_index()
        found = (self.record(p) for p in self._index.get(canonicalize_name(package), []))
        return [r for r in found if r is not None]

    def query(self, package: str, version: str) -> list[Advisory]:
        """The advisories that affect ``package`` at ``version``."""
        return match(self.records_for(package), package, version)


def _in_range(version: Version, events: Sequence[Mapping[str, Any]]) -> bool:
    """OSV's ECOSYSTEM range evaluation: events sorted by version, `introduced` opens and
    `fixed`/`last_affected` close an interval."""
    points: list[tuple[Version, int, str]] = []
    for event in events:
        for kind, order in (("introduced", 0), ("fixed", 1), ("last_affected", 2)):
            if kind in event:
                raw = str(event[kind])
                at = Version("0") if raw == "0" else _version(raw)
                if at is not None:
                    points.append((at, order, kind))
    affected = False
    for at, _order, kind in sorted(points):
        if kind == "introduced" and version >= at:
            affected = True
        elif (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at):
            affected = False
    return affected


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _affects(record: Mapping[str, Any], name: str, version: Version) -> bool:
    for affected in record.get("affected", []) or []:
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        listed = (_version(str(v)) for v in affected.get("versions") or [])
        if version in listed:
            return True
        for rng in affected.get("ranges", []) or []:
            if rng.get("type") == "ECOSYSTEM" and _in_range(version, rng.get("events", [])):
                return True
    return False


def _fixed(record: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """pip-audit's fix versions: the `fixed` events of the package's ECOSYSTEM range."""
    fixes: list[Version] = []
    for affected in record.get("affected", []) or []:
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        for rng in affected.get("ranges", []) or []:
            if rng.get("type") == "ECOSYSTEM":
                found = (_version(str(e["fixed"])) for e in rng.get("events", []) if "fixed" in e)
                fixes = [v for v in found if v is not None]
                break
    return tuple(str(v) for v in sorted(fixes))


def advisory_of(record: Mapping[str, Any], name: str) -> Advisory:
    """An OSV record as the advisory of package ``name``, named as pip-audit names it."""
    ids = sorted([str(record["id"]), *map(str, record.get("aliases") or [])], key=_id_key)
    text = record.get("summary") or record.get("details") or "N/A"
    severity, vector = from_osv(record.get("severity") or [])
    return Advisory(
        id=ids[0],
        aliases=tuple(sorted(set(ids[1:]) - {ids[0]})),
        fixed=_fixed(record, name),
        summary=str(text).replace("\n", " "),
        severity=severity,
        vector=vector,
        published=str(record["published"]) if record.get("published") else None,
    )


def dedupe(advisories: Iterable[Advisory]) -> list[Advisory]:
    """pip-audit's merge: PYSEC results first, then others merged into one they alias."""
    items = list(advisories)
    unique: list[Advisory] = []
    for advisory in [a for a in items if a.id.startswith("PYSEC")] + [
        a for a in items if not a.id.startswith("PYSEC")
    ]:
        index = next((i for i, u in enumerate(unique) if u.ids & advisory.ids), None)
        if index is None:
            unique.append(advisory)
            continue
        first = unique[index]
        # pip-audit keeps its own aliases and adds the other's (not the other's id).
        merged = set(first.aliases) | (set(advisory.aliases) - {first.id})
        unique[index] = Advisory(
            first.id,
            tuple(sorted(merged)),
            first.fixed,
            first.summary,
            worse(first.severity, advisory.severity),
            first.vector or advisory.vector,
            first.published,
        )
    return unique


def match(records: Iterable[Mapping[str, Any]], package: str, version: str) -> list[Advisory]:
    """The advisories among `records` that affect `package` at `version`."""
    parsed = _version(version)
    if parsed is None:
        return []
    name = canonicalize_name(package)
    hits = [
        advisory_of(r, name)
        for r in records
        if r.get("withdrawn") is None and "id" in r and _affects(r, name, parsed)
    ]
    return dedupe(hits)
