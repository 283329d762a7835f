"""Inline suppressions trivy obeys and cannot be told to ignore: `trivy:ignore:<check>`
comments in Dockerfiles, Terraform and other IaC files hide a misconfiguration, with no flag to
turn them off and no trace in trivy's report.

The folders holding such comments are copied into the run's private work directory with the
marker defused (`trivy:ignore` -> `trivy_ignore`, the same length, so lines and columns stay)
and scanned again; their findings map back onto the repository's paths (a finding both scans
report is one finding). The summary notes the files (`plan.defused_note`). bandit
(`--ignore-nosec`) and hadolint (`--disable-ignore-pragma`) have switches for the same thing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from shipyard.findings.files import inside

MARKER = b"trivy:ignore"
DEFUSED = b"trivy_ignore"
#: Larger files are not IaC a person wrote; they are not searched for the marker.
MAX_SIZE = 2_000_000


def with_marker(root: Path, files: Sequence[str]) -> list[str]:
    """The files (relative) that hold a `trivy:ignore` comment."""
    found = []
    for rel in files:
        path = root / rel
        try:
            if path.is_symlink() or path.stat().st_size > MAX_SIZE:
                continue
            if MARKER in path.read_bytes():
                found.append(rel)
        except OSError:
            continue
    return found


def defused_copy(root: Path, marked: Sequence[str], dest: Path) -> list[str]:
    """Copy every regular file of the folders holding `marked` files (not their subfolders)
    to the same relative place under `dest`, the marker defused. Returns the copied files."""
    copied = []
    for folder in sorted({PurePosixPath(rel).parent for rel in marked}):
        source = root / folder
        if not inside(source, root):
            continue
        target = dest / folder
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        for entry in sorted(os.scandir(source), key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False) or entry.stat().st_size > MAX_SIZE:
                continue
            data = Path(entry.path).read_bytes().replace(MARKER, DEFUSED)
            (target / entry.name).write_bytes(data)
            copied.append((folder / entry.name).as_posix())
    return copied
