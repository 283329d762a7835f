"""The file system (no processes): the one walker of a tree, whether a path stays inside a
folder once links are resolved, and lines of source read without leaving a root."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .kinds import SKIP_DIRS, Tree


def inside(path: Path | str, base: Path | str) -> bool:
    """Whether ``path`` is ``base`` or below it, both with every symlink resolved."""
    real_base = os.path.realpath(base)
    return os.path.commonpath([real_base, os.path.realpath(path)]) == real_base


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


def sizes(root: Path, files: Iterable[str]) -> dict[str, int]:
    """The size in bytes of each of ``files`` (relative to ``root``); unreadable ones left out."""
    found = {}
    for rel in files:
        try:
            found[rel] = (root / rel).stat().st_size
        except OSError:
            continue
    return found
