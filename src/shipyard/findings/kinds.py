"""What kind of file a path is, paths made relative, and a walked tree (pure: text in,
text out).

The kinds are one answer for every action: lint lints the Dockerfiles audit scans.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: Folders no walk enters: version control, virtualenvs, dependency and byte-code caches.
SKIP_DIRS = (".git", ".hg", ".venv", "venv", "node_modules", ".tox", ".nox", "__pycache__")
COMPOSE_FILES = ("docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml")


def python_file(path: str) -> bool:
    """Python source or stub."""
    return path.endswith((".py", ".pyi"))


def python_source(path: str) -> bool:
    """Python source (not a stub)."""
    return path.endswith(".py")


def dockerfile(path: str) -> bool:
    """A Dockerfile or Containerfile: ``Dockerfile``, ``Dockerfile.prod``, ``app.dockerfile``
    (any case of the suffix), and the same with ``Containerfile``."""
    name = PurePosixPath(path).name
    lower = name.lower()
    return (
        name in {"Dockerfile", "Containerfile"}
        or name.startswith(("Dockerfile.", "Containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


def compose_file(path: str) -> bool:
    """A Compose file (``compose.yaml``, ``docker-compose.prod.yml``, ...)."""
    name = PurePosixPath(path).name
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in COMPOSE_FILES)


def shell_script(path: str) -> bool:
    """A shell script, by its suffix."""
    return path.endswith((".sh", ".bash", ".ksh", ".dash"))


def workflow_file(path: str) -> bool:
    """A GitHub Actions workflow or action metadata file. Workflows are those GitHub runs:
    directly in the root's .github/workflows (one deeper in the tree, a test fixture or a
    vendored project, is not this repository's)."""
    pure = PurePosixPath(path)
    if pure.name in {"action.yml", "action.yaml"}:
        return True
    return pure.suffix in {".yml", ".yaml"} and pure.parent.as_posix() == ".github/workflows"


def yaml_file(path: str) -> bool:
    """A YAML file (or a ``.yamllint`` configuration)."""
    return path.endswith((".yml", ".yaml")) or PurePosixPath(path).name == ".yamllint"


def relative(path: str, root: str | Path) -> str:
    """``path`` relative to ``root`` when it lies under it, with "/" separators and no
    leading ``./``; else as given. (Tools print the paths they were given: the root as the
    caller wrote it, resolved once by the caller.)"""
    text = path.replace("\\", "/")
    base = str(root).replace("\\", "/").rstrip("/") + "/"
    if text.startswith(base):
        text = text[len(base) :]
    while text.startswith("./"):
        text = text[2:]
    return text


def under(path: str, folders: Collection[str]) -> bool:
    """Whether the relative ``path`` lies in a folder named like one of ``folders`` (at any
    depth) or in one of them given as a relative path (``build/out``)."""
    parts = path.split("/")[:-1]
    return any(
        part in folders or "/".join(parts[: index + 1]) in folders
        for index, part in enumerate(parts)
    )


@dataclass(frozen=True)
class Tree:
    """The files of a folder (relative, "/"-separated, in walk order) and, apart, the links
    among them that lead out of it (which no scanner reads)."""

    files: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def without(self, folders: Collection[str]) -> Tree:
        """The same tree without the files under ``folders`` (see :func:`under`)."""
        if not folders:
            return self
        return Tree(
            [f for f in self.files if not under(f, folders)],
            [f for f in self.outside if not under(f, folders)],
        )
