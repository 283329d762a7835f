"""Pinned Python dependencies from requirements files, pyproject.toml and lock files (pure).

Reads requirements files (with `-r`/`-c` includes), `pyproject.toml` (`[project]` and Poetry
dependencies pinned to one version), `uv.lock`, `poetry.lock` and `Pipfile.lock`. Only exact
pins (`==1.2.3`, or a lock entry) can be matched against advisories; the rest are counted.

Every file read is inside the audited folder once links are resolved: a manifest that is a
link leading out, or an include (`-r ../../x`) that does, is reported by file and line and
not read. A line that cannot be parsed is reported by file and line number, never quoted.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from shipyard.findings.files import inside, walk
from shipyard.findings.kinds import Tree, under
from shipyard.findings.model import Finding

from .pins import HASH, Dependency, Inventory, Kind, Wanted

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

#: Folders whose dependency files are not the repository's own (besides those no walk enters).
NOT_MANIFESTS = frozenset({"site-packages"})
LOCK_NAMES: dict[str, Kind] = {
    "uv.lock": "uv.lock",
    "poetry.lock": "poetry.lock",
    "Pipfile.lock": "Pipfile.lock",
    "pyproject.toml": "pyproject",
}


def is_requirements_file(path: PurePosixPath | Path) -> bool:
    """A requirements file: ``requirements*.txt``, or any ``.txt`` in a ``requirements`` folder."""
    name = path.name
    return name.endswith(".txt") and (
        name.startswith("requirements") or path.parent.name == "requirements"
    )


def is_manifest(rel: str) -> bool:
    """A dependency file: a lock file, pyproject.toml or a requirements file."""
    path = PurePosixPath(rel)
    return path.name in LOCK_NAMES or is_requirements_file(path)


def manifests_in(root: Path, tree: Tree) -> list[Path]:
    """The dependency files of a walked tree, outside installed packages (a link leading out
    is among them: `inventory` refuses it)."""
    found = [
        root / rel
        for rel in (*tree.files, *tree.outside)
        if is_manifest(rel) and not under(rel, NOT_MANIFESTS)
    ]
    return sorted(found)


def find_manifests(root: Path) -> list[Path]:
    """Every dependency file under `root`, sorted, outside virtualenvs and VCS folders."""
    return manifests_in(root, walk(root))


def _pin(req: Requirement) -> str | None:
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    start, buffer = 0, ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        line = raw
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        yield start, buffer + line
        buffer = ""
    if buffer:
        yield start, buffer


INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:[\s=]+(\S+))?")


def parse_requirements(path: Path, root: Path, inv: Inventory, seen: set[Path]) -> None:
    """Add the pins of one requirements file (following -r/-c includes inside `root`)."""
    if path in seen:
        return
    seen.add(path)
    rel = _rel(path, root)
    inv.files.append(rel)
    for number, raw in _logical_lines(path.read_text(encoding="utf-8", errors="replace")):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        include = INCLUDE.match(line)
        if include:
            _include(path, include.group(2) or "", f"{rel}:{number}", root, inv, seen)
            continue
        if line.startswith("-"):
            continue
        hashes = tuple(HASH.findall(line))
        line = re.split(r"\s--?\w", " " + line)[0].strip()  # drop per-line options (--hash)
        _add_requirement(line, rel, number, "requirements", inv, hashes)


def _include(
    path: Path, target: str, where: str, root: Path, inv: Inventory, seen: set[Path]
) -> None:
    """Follow one -r/-c include of `path` (at `where`: file:line) if it stays inside root."""
    candidate = path.parent / target
    if not target or not inside(candidate, root):
        inv.errors.append(f"{where}: an include that leads out of the audited folder; not read")
    elif not candidate.is_file():
        inv.errors.append(f"{where}: an include that names no file in the audited folder")
    else:
        parse_requirements(candidate.resolve(), root, inv, seen)


def _add_requirement(
    text: str, rel: str, line: int | None, kind: Kind, inv: Inventory, hashes: tuple[str, ...] = ()
) -> None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        inv.errors.append(f"{rel}:{line}: cannot parse this requirement")
        return
    version = _pin(req) if req.url is None else None
    wanted = Wanted(
        canonicalize_name(req.name),
        "" if req.url else str(req),
        line,
        version is not None,
        tuple(h.lower() for h in hashes),
    )
    inv.requirements.setdefault(rel, []).append(wanted)
    if version is None:
        inv.unpinned.append(f"{rel}: {req.name}")
        return
    inv.add(Dependency(canonicalize_name(req.name), version, rel, line, kind))


def _line_of(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text, flags=re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_pyproject(path: Path, root: Path, inv: Inventory) -> None:
    """Add the pins of pyproject.toml (``[project]`` and Poetry dependencies)."""
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    rel = _rel(path, root)
    inv.files.append(rel)
    project = data.get("project", {})
    groups = [project.get("dependencies", [])]
    groups += list(project.get("optional-dependencies", {}).values())
    for group in groups:
        for item in group:
            if isinstance(item, str):
                _add_requirement(item, rel, _line_of(text, re.escape(item)), "pyproject", inv)
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    for name, spec in poetry.items():
        version = spec.get("version") if isinstance(spec, dict) else spec
        if name.lower() == "python" or not isinstance(version, str):
            continue
        pinned = version if version[:1].isdigit() else version.removeprefix("==")
        if re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", pinned):
            line = _line_of(text, rf"^{re.escape(name)}\s*=")
            inv.add(Dependency(canonicalize_name(name), pinned, rel, line, "pyproject"))
        else:
            inv.unpinned.append(f"{rel}: {name}")


def parse_toml_lock(path: Path, root: Path, inv: Inventory, kind: Kind) -> None:
    """uv.lock and poetry.lock: `[[package]]` tables with name and version."""
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    rel = _rel(path, root)
    inv.files.append(rel)
    for package in data.get("package", []):
        name, version = package.get("name"), package.get("version")
        source = package.get("source", {})
        if not name or not version or "editable" in source or "virtual" in source:
            continue
        line = _line_of(text, rf'^name = "{re.escape(name)}"')
        inv.add(Dependency(canonicalize_name(name), str(version), rel, line, kind))


def parse_pipfile_lock(path: Path, root: Path, inv: Inventory) -> None:
    """Add the pins of a Pipfile.lock (default and develop)."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    rel = _rel(path, root)
    inv.files.append(rel)
    for section in ("default", "develop"):
        for name, entry in (data.get(section) or {}).items():
            version = str(entry.get("version", "")) if isinstance(entry, dict) else ""
            if not version.startswith("=="):
                inv.unpinned.append(f"{rel}: {name}")
                continue
            line = _line_of(text, rf'^\s*"{re.escape(name)}": {{')
            dep = Dependency(canonicalize_name(name), version[2:], rel, line, "Pipfile.lock")
            inv.add(dep)


def _position(exc: Exception) -> str:
    """Where a parser failed, never what it read: the error type, line and column."""
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    if line is None:  # tomllib's message ends "(at line L, column C)"; no content in it
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, column = (found.group(1), found.group(2)) if found else (None, None)
    at = f" at line {line}, column {column}" if line is not None else ""
    return f"{type(exc).__name__}{at}"


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def inventory(root: Path, paths: list[Path] | None = None) -> Inventory:
    """The pinned dependencies of the repository at `root` (or of the given files).

    Lock files are read before requirements files and pyproject.toml, so a package pinned
    in several places is reported at its lock entry."""
    inv = Inventory()
    files = paths if paths is not None else find_manifests(root)
    order = {"uv.lock": 0, "poetry.lock": 0, "Pipfile.lock": 0, "pyproject.toml": 2}
    seen: set[Path] = set()
    for path in sorted(files, key=lambda p: (order.get(p.name, 1), str(p))):
        if not inside(path, root):
            shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            inv.errors.append(f"{shown}: a link that leads out of the audited folder; not read")
            continue
        try:
            kind = LOCK_NAMES.get(path.name)
            if kind in ("uv.lock", "poetry.lock"):
                parse_toml_lock(path, root, inv, kind)
            elif kind == "Pipfile.lock":
                parse_pipfile_lock(path, root, inv)
            elif kind == "pyproject":
                parse_pyproject(path, root, inv)
            else:
                parse_requirements(path.resolve(), root, inv, seen)
        except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
            inv.errors.append(f"{_rel(path, root)}: cannot read it ({_position(exc)})")
    return inv


def fix_command(dep: Dependency, version: str) -> str:
    """The command (or edit) that moves `dep` to `version`, for the summary."""
    name = dep.name
    if dep.kind == "uv.lock":
        return f"uv lock --upgrade-package '{name}=={version}'"
    if dep.kind == "poetry.lock":
        return f"poetry add '{name}@^{version}' (or poetry update {name})"
    if dep.kind == "Pipfile.lock":
        return f"pipenv install '{name}>={version}'"
    return f"pin `{name}=={version}` in {dep.file}"


def fix_of(finding: Finding) -> str:
    """The command (or edit) that fixes a dependency finding; "" when there is none."""
    if not finding.package or not finding.fixed or not finding.installed:
        return ""
    name = PurePosixPath(finding.file or "requirements.txt").name
    kind = LOCK_NAMES.get(name, "requirements")
    dep = Dependency(finding.package, finding.installed, finding.file or "", None, kind)
    return fix_command(dep, _lowest_fix_above(finding))


def _lowest_fix_above(finding: Finding) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        installed = Version(finding.installed or "0")
        later = sorted(Version(v) for v in finding.fixed if Version(v) > installed)
    except InvalidVersion:
        return finding.fixed[-1]
    return str(later[0]) if later else finding.fixed[-1]
