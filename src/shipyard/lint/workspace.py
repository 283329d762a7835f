"""The run's file-system inputs, resolved in one step before anything runs: the linted folder
(working-directory), the project's interpreter (python), where the SARIF file and the fixes'
diff go, the lint tool cache, and the linters' environment. A bad one is exit 2 naming it."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.runtime import InputError, RunContext

from .spec import Settings
from .toolenv import cache_root

#: File commands a linter must not write to (black writes its own outputs when it sees them).
FILE_COMMANDS = (
    "GITHUB_OUTPUT",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "GITHUB_STATE",
    "GITHUB_STEP_SUMMARY",
)
#: The linters' own caches, moved into the tool cache.
CACHE_VARIABLES = {"BLACK_CACHE_DIR": "black", "RUFF_CACHE_DIR": "ruff", "MYPY_CACHE_DIR": "mypy"}


@dataclass(frozen=True)
class Workspace:
    """Where the run reads and writes. ``cache`` is the lint tool cache (the linters' venvs),
    also the neutral folder our probes and installs run in: not the repository, whose files
    (a ``json.py``, a ``uv.toml``) must not change what they do."""

    root: Path
    workspace: str
    cache: Path
    env: Mapping[str, str]
    python: str | None
    sarif_file: str
    diff_file: Path


def resolve(settings: Settings, run: RunContext, child_env: Mapping[str, str]) -> Workspace:
    """Every file-system input checked and made a path; the cache folder made."""
    workspace = Path(run.workspace or ".").resolve()
    root = (workspace / settings.working_directory).resolve()
    if not root.is_dir():
        raise InputError("working-directory", f"{settings.working_directory!r} is not a folder.")
    env = linter_env(child_env, run.repository, run.tool_cache)
    cache = cache_root(run.tool_cache)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(run.temp_dir) / "shipyard-lint"
    return Workspace(
        root=root,
        workspace=run.workspace,
        cache=cache,
        env=env,
        python=project_python(settings.python, env),
        sarif_file=settings.sarif_file or str(work / "lint.sarif"),
        diff_file=work / "fix.diff",
    )


def linter_env(child_env: Mapping[str, str], repository: str, tool_cache: str) -> dict[str, str]:
    """The linters' environment: no credentials (``child_env`` has none), no workflow file
    commands, and the linters' caches in the tool cache (per repository), so that a warm tool
    cache also skips the files black, ruff and mypy have already checked (unless you set
    their variables)."""
    env = dict(child_env)
    for name in FILE_COMMANDS:
        env.pop(name, None)
    folder = "".join(c if c.isalnum() or c in "-_." else "_" for c in repository)
    caches = cache_root(tool_cache) / "caches" / (folder or "local")
    for variable, name in CACHE_VARIABLES.items():
        env.setdefault(variable, str(caches / name))
    return env


def project_python(choice: str, env: Mapping[str, str]) -> str | None:
    """The project's interpreter (the python input): a path or a name on PATH; auto:
    python3 (or python) on PATH; none: None."""
    choice = choice.strip()
    if choice.lower() == "none":
        return None
    if choice.lower() != "auto":
        found = shutil.which(choice, path=env.get("PATH"))
        if found is None:
            raise InputError("python", f"{choice!r} is not an executable (on PATH or as a path).")
        return found
    return shutil.which("python3", path=env.get("PATH")) or shutil.which(
        "python", path=env.get("PATH")
    )
