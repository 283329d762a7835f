"""Files: what kind of file a path is (pure), the one walker of a tree, paths made relative,
and lines of source read without leaving a root (the file system only; no processes).

The kinds are one answer for every action: lint lints the Dockerfiles audit scans.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Collection, Iterable
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
    """A GitHub Actions workflow (under .github/workflows) or action metadata file."""
    pure = PurePosixPath(path)
    if pure.name in {"action.yml", "action.yaml"}:
        return True
    return pure.suffix in {".yml", ".yaml"} and pure.parent.as_posix().endswith(".github/workflows")


def yaml_file(path: str) -> bool:
    """A YAML file (or a ``.yamllint`` configuration)."""
    return path.endswith((".yml", ".yaml")) or PurePosixPath(path).name == ".yamllint"


def inside(path: Path | str, base: Path | str) -> bool:
    """Whether ``path`` is ``base`` or below it, both with every symlink resolved."""
    real_base = os.path.realpath(base)
    return os.path.commonpath([real_base, os.path.realpath(path)]) == real_base


def relative(path: str, root: str | Path) -> str:
    """``path`` relative to ``root`` when it lies under it (as written, or once links are
    resolved), with "/" separators and no leading ``./``; else as given."""
    text = path.replace("\\", "/")
    base = str(root).replace("\\", "/").rstrip("/") + "/"
    if text.startswith(base):
        text = text[len(base) :]
    elif text.startswith("/"):
        with contextlib.suppress(ValueError, OSError):
            text = Path(text).resolve().relative_to(Path(root).resolve()).as_posix()
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


def walk(root: Path, skip: Iterable[str] = SKIP_DIRS) -> Tree:
    """Every file under ``root``, never entering a folder named in ``skip`` (or given there as
    a relative path) nor following a link to a folder; sorted within each folder."""
    folders = set(skip)
    found: list[str] = []
    outside: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(
            d for d in dirs if d not in folders and (rel_folder / d).as_posix() not in folders
        )
        for name in sorted(files):
            rel = (rel_folder / name).as_posix()
            path = Path(folder) / name
            if path.is_symlink() and not inside(path, root):
                outside.append(rel)
            else:
                found.append(rel)
    return Tree(found, outside)


class SourceLines:
    """Lines of the files under ``root``, read once each; a file that is a link leading out of
    ``root`` reads as empty (nothing outside is read)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[str]] = {}

    def text(self, rel: str, line: int | None) -> str:
        """The stripped text of line ``line`` of ``rel`` ("" when unknown or unreadable)."""
        if not line:
            return ""
        if rel not in self._cache:
            self._cache[rel] = []
            try:
                if inside(self.root / rel, self.root):
                    text = (self.root / rel).read_text(encoding="utf-8", errors="replace")
                    self._cache[rel] = text.splitlines()
            except (OSError, ValueError):
                pass
        lines = self._cache[rel]
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""
