"""The values of the dependency inventory (pure): a pinned dependency, a requirement as
written, and the inventory `audit.manifests` reads from the repository's files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["requirements", "pyproject", "uv.lock", "poetry.lock", "Pipfile.lock"]
#: A requirement's ``--hash=algorithm:digest`` option.
HASH = re.compile(r"--hash[=\s]+(\w+:[0-9A-Fa-f]+)")


@dataclass(frozen=True)
class Dependency:
    """One pinned dependency and where it is pinned."""

    name: str  # canonical (PEP 503)
    version: str
    file: str  # relative to the repository root, POSIX
    line: int | None
    kind: Kind
    #: Found by resolving the file's ranges (`audit.resolution`), not pinned in it.
    resolved: bool = False


@dataclass(frozen=True)
class Wanted:
    """One requirement of a requirements file or of pyproject.toml's ``[project]``, as
    written (PEP 508: name, extras, specifier, marker; options dropped), for resolution."""

    name: str  # canonical (PEP 503)
    text: str  # "" for a direct reference (a URL), which is never resolved
    line: int | None
    pinned: bool
    hashes: tuple[str, ...] = ()


@dataclass
class Inventory:
    """The repository's pinned dependencies, its dependency files, what is not pinned and
    what could not be read; every requirement by file (``requirements``, for resolution) and
    every file each pin was found in (``places``, for the SBOM)."""

    dependencies: list[Dependency] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requirements: dict[str, list[Wanted]] = field(default_factory=dict)
    places: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, dep: Dependency) -> None:
        """Add a pin (the first place a package and version is pinned wins; every file is
        kept in ``places``)."""
        files = self.places.setdefault((dep.name, dep.version), [])
        if dep.file not in files:
            files.append(dep.file)
        if all((d.name, d.version) != (dep.name, dep.version) for d in self.dependencies):
            self.dependencies.append(dep)
