"""The run's file-system inputs, resolved in one step before anything runs: path inputs
confined to their base, the ignore file read and checked, where the SARIF file goes, and the
run's private work directory (0700, removed by the cleanup stack whatever happens)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shipyard.runtime import RunContext
from shipyard.runtime.cleanup import Cleanup

from .ignore import IgnoreEntry, parse_ignore
from .paths import input_path
from .plan import Request
from .scanners import ScanEnv, executables
from .spec import Settings


@dataclass(frozen=True)
class Inputs:
    """The scan's request, the ignore file's entries (as of ``today``), the SARIF path and
    the SBOM's (None: no SBOM)."""

    request: Request
    ignores: list[IgnoreEntry]
    today: dt.date
    sarif_path: Path
    sbom_path: Path | None = None


def resolve(settings: Settings, run: RunContext, cleanup: Cleanup, today: dt.date) -> Inputs:
    """Every file-system input checked (exit 2 naming it) before the first scanner starts."""
    workspace = Path(run.workspace or ".").resolve()
    request = request_of(settings, run, cleanup, workspace)
    sarif_path = sarif_path_of(settings, run, workspace)
    sbom_path = (
        input_path(workspace, settings.sbom_file, "sbom-file") if settings.sbom_file else None
    )
    ignores = load_ignore(request.env.root, settings.ignore_file, today, settings.ignore_max_days)
    return Inputs(request, ignores, today, sarif_path, sbom_path)


def request_of(settings: Settings, run: RunContext, cleanup: Cleanup, workspace: Path) -> Request:
    """What to scan, the paths confined to the workspace; the private work directory made."""
    root = input_path(workspace, settings.path, "path", kind="dir")
    db = (
        input_path(workspace, settings.vulnerability_db, "vulnerability-db", kind="dir")
        if settings.vulnerability_db
        else None
    )
    archive = (
        input_path(workspace, settings.image_archive, "image-archive", kind="file")
        if settings.image_archive
        else None
    )
    base = Path(run.temp_dir)
    base.mkdir(parents=True, exist_ok=True)
    # Private to this run (0700) and removed whatever happens: reports, shipyard's scanner
    # configs and the history tree (every secret ever committed) live here.
    work = Path(tempfile.mkdtemp(prefix="shipyard-audit-", dir=base))
    cleanup.push(lambda: shutil.rmtree(work, ignore_errors=True), "audit work directory")
    cache = Path(run.tool_cache or base).resolve() / "shipyard-audit"
    env = ScanEnv(root, cache, work, settings.timeout, tuple(settings.exclude), executables())
    return Request(
        settings.wanted,
        env,
        db,
        settings.image,
        settings.secrets_history,
        frozenset(settings.secrets_allowlist),
        image_archive=archive,
        resolve=settings.resolve,
        sbom=bool(settings.sbom_file),
    )


def sarif_path_of(settings: Settings, run: RunContext, workspace: Path) -> Path:
    """The sarif-file input (confined to the workspace), else one under RUNNER_TEMP."""
    if settings.sarif_file:
        return input_path(workspace, settings.sarif_file, "sarif-file")
    return Path(run.temp_dir) / "shipyard-audit" / "shipyard-audit.sarif"


def load_ignore(root: Path, name: str, today: dt.date, max_days: int) -> list[IgnoreEntry]:
    """The entries of the ignore file `name` (relative to `root`, and inside it once links are
    resolved; none when it does not exist)."""
    path = input_path(root, name, "ignore-file")
    if not path.is_file():
        return []
    return parse_ignore(path.read_text(encoding="utf-8", errors="replace"), name, today, max_days)
