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
#: The linters' own caches, kept in the cache folder (their formats are data they check).
CACHE_VARIABLES = {"RUFF_CACHE_DIR": "ruff", "MYPY_CACHE_DIR": "mypy"}
#: Caches kept for the run only: black's is a pickle, which runs code when it is read, and
#: the findings cache already skips the files it would.
RUN_CACHE_VARIABLES = {"BLACK_CACHE_DIR": "black"}


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
    #: The findings cache's folder (None: cache is false).
    findings_cache: Path | None = None


def resolve(settings: Settings, run: RunContext, child_env: Mapping[str, str]) -> Workspace:
    """Every file-system input checked and made a path; the cache folder made."""
    workspace = Path(run.workspace or ".").resolve()
    root = (workspace / settings.working_directory).resolve()
    if not root.is_dir():
        raise InputError("working-directory", f"{settings.working_directory!r} is not a folder.")
    cache = cache_root(run.tool_cache)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(run.temp_dir) / "shipyard-lint"
    kept = cache_dir(settings, workspace, run) if settings.cache else None
    env = linter_env(child_env, kept or work / "caches", work / "caches")
    return Workspace(
        root=root,
        workspace=run.workspace,
        cache=cache,
        env=env,
        python=project_python(settings.python, env),
        sarif_file=settings.sarif_file or str(work / "lint.sarif"),
        diff_file=work / "fix.diff",
        findings_cache=kept / "findings" if kept else None,
    )


def cache_dir(settings: Settings, workspace: Path, run: RunContext) -> Path:
    """The cache folder: the cache-dir input (relative to the workspace), else the tool
    cache's folder of this repository."""
    if settings.cache_dir.strip():
        folder = (workspace / settings.cache_dir.strip()).resolve()
    else:
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in run.repository)
        folder = cache_root(run.tool_cache) / "caches" / (name or "local")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            "cache-dir", f"{str(folder)!r} cannot be made a folder: {exc.strerror}."
        ) from None
    return folder


def linter_env(child_env: Mapping[str, str], kept: Path, scratch: Path) -> dict[str, str]:
    """The linters' environment: no credentials (``child_env`` has none), no workflow file
    commands, and the linters' own caches: ruff's and mypy's in ``kept`` (the cache folder,
    or the run's when cache is false), black's in the run's ``scratch`` folder (unless you set
    their variables)."""
    env = dict(child_env)
    for name in FILE_COMMANDS:
        env.pop(name, None)
    for variable, name in CACHE_VARIABLES.items():
        env.setdefault(variable, str(kept / name))
    for variable, name in RUN_CACHE_VARIABLES.items():
        env.setdefault(variable, str(scratch / name))
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
