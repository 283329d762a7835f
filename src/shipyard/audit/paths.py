"""Paths the audit reads stay inside what it audits: symlinks resolved, then checked.

A repository decides what its files are, links included; a relative path the audit was given
(an input, an include in a requirements file, a file a scanner named) must not lead out of
its base. An absolute path in an input is the workflow author's own choice and is taken as is.
"""

from __future__ import annotations

from pathlib import Path

from shipyard.findings.files import inside
from shipyard.runtime import InputError


def input_path(base: Path, value: str, name: str, *, kind: str = "") -> Path:
    """The path an input names: relative to `base` and then (links resolved) inside it, or
    absolute as given. `kind` ("file", "dir") checks what it is. Raises InputError(name)."""
    candidate = base / value
    if not Path(value).is_absolute() and not inside(candidate, base):
        raise InputError(name, f"{value} leads outside {base} (through .. or a symlink)")
    resolved = candidate.resolve()
    if kind == "file" and not resolved.is_file():
        raise InputError(name, f"{value} is not a file")
    if kind == "dir" and not resolved.is_dir():
        raise InputError(name, f"{value} is not a directory")
    return resolved
