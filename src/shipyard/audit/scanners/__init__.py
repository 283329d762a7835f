"""One adapter per scanner: how to run it (argv) and how to read its output (pure parsers).

The orchestrator (`audit.plan`) turns the jobs into `runtime.process` tasks run in parallel.
Every scanner runs with shipyard's own configuration (files `prepare` writes into the private
work directory) from an empty working directory: configuration found in the repository
(`.trivyignore`, `trivy-secret.yaml`, `.bandit`, `.hadolint.yaml`, ...) is never read by a
scanner; the report notes it (`audit.repoconfig`).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Finding
from ..paths import inside

ALWAYS_EXCLUDED = (".git", ".venv", "venv", "node_modules", ".tox", ".nox", "__pycache__")


#: shipyard's own scanner configuration: name -> content (`prepare` writes them).
OWN_CONFIG = {
    "trivy.yaml": "{}\n",  # trivy --config: nothing beyond the command line
    "trivy-secret.yaml": "{}\n",  # trivy --secret-config: the built-in rules, all enabled
    "trivyignore": "",  # trivy --ignorefile: nothing ignored (the ignore file is shipyard's)
    "hadolint.yaml": "{}\n",  # hadolint --config: every rule at its own level
    "bandit.ini": "[bandit]\n",  # bandit --ini: no .bandit file is looked for in the tree
}


@dataclass(frozen=True)
class ScanEnv:
    """What every adapter needs to build its command line. `temp_dir` is private to the run
    (0700, removed at the end): reports, shipyard's scanner configs, the history tree."""

    root: Path
    cache_dir: Path
    temp_dir: Path
    timeout: float
    exclude: tuple[str, ...] = ()

    @property
    def excluded(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*ALWAYS_EXCLUDED, *self.exclude)))

    def config(self, name: str) -> Path:
        """The path of one of shipyard's own scanner configs (see OWN_CONFIG)."""
        if name not in OWN_CONFIG:
            raise KeyError(name)
        return self.temp_dir / "config" / name

    @property
    def neutral_dir(self) -> Path:
        """An empty working directory: no scanner finds a config file where it starts."""
        return self.temp_dir / "cwd"


def prepare(env: ScanEnv) -> None:
    """Make the private work directory (0700), shipyard's scanner configs and the empty
    working directory."""
    env.temp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env.temp_dir.chmod(0o700)
    for folder in (env.temp_dir / "config", env.neutral_dir):
        folder.mkdir(mode=0o700, exist_ok=True)
    for name, content in OWN_CONFIG.items():
        env.config(name).write_text(content, encoding="utf-8")


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
    """The stripped text of line `line` of `root/rel` ("" when unknown, or when the file is
    a link leading out of `root`: nothing outside the audited folder is read)."""
    if not line:
        return ""
    if rel not in cache:
        cache[rel] = []
        try:
            if inside(root / rel, root):
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
                cache[rel] = text.splitlines()
        except (OSError, ValueError):
            pass
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
