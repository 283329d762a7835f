"""One adapter per scanner: its command line and how its report becomes audit findings (the
parsers themselves are ``shipyard.findings.parsers``, shared with lint).

The scan (`audit.scan`) runs them in parallel with the shared runner. Every scanner runs with
shipyard's own configuration (files `prepare` writes into the private work directory) from an
empty working directory: configuration found in the repository (`.trivyignore`,
`trivy-secret.yaml`, `.bandit`, `.hadolint.yaml`, ...) is never read by a scanner; the report
notes it (`audit.repoconfig`).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.findings.kinds import SKIP_DIRS
from shipyard.findings.model import LineText
from shipyard.findings.tool import Output

#: The scanners' executables (``ScanEnv.executables`` maps them to paths).
SCANNERS = ("bandit", "trivy", "hadolint", "pip-audit", "uv")
#: ``lines(root) -> a reader of the lines of the files under root`` (the scan hands the plan
#: one; the adapters' parsers identify findings by their line's text).
Lines = Callable[[Path], LineText]

#: Folders no scanner enters (the same as every walk of the tree skips).
ALWAYS_EXCLUDED = SKIP_DIRS


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
    #: Each scanner's executable, found before the run (``executables()``); a scanner not
    #: named here is looked for when its command line is made.
    executables: Mapping[str, str] = field(default_factory=dict)

    @property
    def excluded(self) -> tuple[str, ...]:
        """The folders no scanner enters: the usual ones and the exclude input's."""
        return tuple(dict.fromkeys((*ALWAYS_EXCLUDED, *self.exclude)))

    def config(self, name: str) -> Path:
        """The path of one of shipyard's own scanner configs (see OWN_CONFIG)."""
        if name not in OWN_CONFIG:
            raise KeyError(name)
        return self.temp_dir / "config" / name

    def tool(self, name: str) -> str:
        """The executable of the scanner ``name``."""
        return self.executables.get(name) or executable(name)

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


def executable(name: str) -> str:
    """The path of a scanner's executable: beside this Python (the action's venv) first."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name) or name


def executables() -> dict[str, str]:
    """Every scanner's executable (see ``executable``)."""
    return {name: executable(name) for name in SCANNERS}


def no_report(tool: str, output: Output) -> str:
    """Why a scanner's run gave nothing to read: the last line it printed, or its exit code
    (a crashed run is a warning of the audit, with this text)."""
    tail = (output.tail(5) or output.text).strip().splitlines()[-1:]
    return f"{tool} gave no report: {(tail or [f'exit code {output.exit_code}'])[0][:300]}"
