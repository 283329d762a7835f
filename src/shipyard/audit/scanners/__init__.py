"""One adapter per scanner: how to run it (argv) and how to read its output (pure parsers).

The orchestrator (`audit.plan`) turns the jobs into `runtime.process` tasks run in parallel.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Finding

ALWAYS_EXCLUDED = (".git", ".venv", "venv", "node_modules", ".tox", ".nox", "__pycache__")


@dataclass(frozen=True)
class ScanEnv:
    """What every adapter needs to build its command line."""

    root: Path
    cache_dir: Path
    temp_dir: Path
    timeout: float
    exclude: tuple[str, ...] = ()

    @property
    def excluded(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*ALWAYS_EXCLUDED, *self.exclude)))


@dataclass
class ScanOutput:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """One scanner run: a name, its argv, and the parser of (exit code, report, log tail).

    The report is the file `report` when the tool writes one (`-o`), else its output."""

    name: str
    argv: tuple[str, ...]
    parse: Callable[[int, str, str], ScanOutput]
    cwd: Path | None = None
    report: Path | None = None


def tool(name: str) -> str:
    """The path of a scanner's executable: beside this Python (the action's venv) first."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name) or name


def read_line(root: Path, rel: str, line: int | None, cache: dict[str, list[str]]) -> str:
    """The stripped text of line `line` of `root/rel` ("" when unknown)."""
    if not line:
        return ""
    if rel not in cache:
        try:
            cache[rel] = (root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[rel] = []
    lines = cache[rel]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def relative(path: str, root: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")
