"""The settings as a request: path inputs confined to their base, the run's private work
directory (0700, removed by the cleanup stack whatever happens)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from shipyard.runtime import ActionContext

from .paths import input_path
from .plan import Request
from .scanners import ScanEnv
from .spec import Settings


def request_of(ctx: ActionContext[Settings], workspace: Path) -> Request:
    s = ctx.settings
    root = input_path(workspace, s.path, "path", kind="dir")
    db = (
        input_path(workspace, s.vulnerability_db, "vulnerability-db", kind="dir")
        if s.vulnerability_db
        else None
    )
    archive = (
        input_path(workspace, s.image_archive, "image-archive", kind="file")
        if s.image_archive
        else None
    )
    base = Path(ctx.run.temp_dir)
    base.mkdir(parents=True, exist_ok=True)
    # Private to this run (0700) and removed whatever happens: reports, shipyard's scanner
    # configs and the history tree (every secret ever committed) live here.
    work = Path(tempfile.mkdtemp(prefix="shipyard-audit-", dir=base))
    ctx.cleanup.push(lambda: shutil.rmtree(work, ignore_errors=True), "audit work directory")
    cache = Path(ctx.run.tool_cache or base).resolve() / "shipyard-audit"
    env = ScanEnv(root, cache, work, s.timeout, tuple(s.exclude))
    return Request(
        s.wanted,
        env,
        db,
        s.image,
        s.secrets_history,
        frozenset(s.secrets_allowlist),
        image_archive=archive,
    )


def sarif_path_of(ctx: ActionContext[Settings], workspace: Path) -> Path:
    if ctx.settings.sarif_file:
        return input_path(workspace, ctx.settings.sarif_file, "sarif-file")
    return Path(ctx.run.temp_dir) / "shipyard-audit" / "shipyard-audit.sarif"
