"""The tool cache's trust boundary in Python (scripts/bootstrap.sh holds the same rule for
shipyard's own venv): code in the tool cache runs with the job's secrets, so a directory there
that another user owns or that group or others may write is refused before it is used."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import ConfigError


def untrusted(paths: Iterable[Path]) -> list[str]:
    """Those of ``paths`` that exist and that another user owns or that are group- or
    world-writable (a link judged by its target), each as ``'<path> (why)'``."""
    bad = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:  # missing: nothing to trust yet
            continue
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            bad.append(f"{path} (owned by uid {info.st_uid})")
        elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            bad.append(f"{path} (writable by group or others)")
    return bad


def venv_dirs(venv: Path) -> list[Path]:
    """A venv's directories whose files run: itself, its scripts and its site-packages."""
    return [venv, venv / "bin", venv / "Scripts", *sorted(venv.glob("lib/python*/site-packages")),
            venv / "Lib" / "site-packages"]  # fmt: skip


def require_trusted(paths: Iterable[Path]) -> None:
    """Raise ConfigError (exit 2) naming every untrusted one of ``paths``."""
    bad = untrusted(paths)
    if bad:
        raise ConfigError(
            f"{', '.join(bad)}: code there could run with this job's secrets.",
            title="shipyard refused an untrusted tool cache",
            hint="Remove it, or make it private (chown to the runner's user; chmod go-w), or "
            "point RUNNER_TOOL_CACHE at a directory only this user can write.",
        )


__all__ = ["require_trusted", "untrusted", "venv_dirs"]
