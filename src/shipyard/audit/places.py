"""How a finding's place is shown when it is not a file of the tree (pure): a file of the
git history is ``path (commit abc...)``; its fingerprint and the ignore file's ``paths:``
use the path alone."""

from __future__ import annotations

#: What follows the path of a file of the git history.
MARK = " (commit "


def display(path: str, commit: str) -> str:
    """How a file of the history is shown: its path and its commit."""
    return f"{path}{MARK}{commit[:12]})"


def path_of(shown: str) -> str:
    """The path of a history finding without its commit (for the fingerprint)."""
    return shown.split(MARK, 1)[0]
