"""Paths a user names (a payload file, attachments), resolved inside the workspace: the file
system is asked, so a symbolic link that points out is refused like ``..``."""

from __future__ import annotations

import os

from shipyard.runtime import InputError


def inside_workspace(name: str, path: str, workspace: str) -> str:
    """The real path of ``path`` (relative to the workspace), if it stays inside it.

    ``..`` that climbs out, an absolute path elsewhere and a symbolic link pointing out are
    all refused the same way: the link is resolved first."""
    root = os.path.realpath(workspace or os.getcwd())
    full = path if os.path.isabs(path) else os.path.join(root, path)
    real = os.path.realpath(full)
    if os.path.commonpath([root, real]) != root:
        raise InputError(name, f"'{path}' resolves to '{real}', outside the workspace '{root}'.")
    return real
