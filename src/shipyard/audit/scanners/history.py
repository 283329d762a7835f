"""Secrets in the git history: every commit's added lines, laid out for a secret scanner.

`git log -p` output is parsed into one file per (commit, path) holding the lines that commit
added, at their line numbers in the file at that commit (other lines left empty), so the
scanner's line numbers are the real ones.
"""

from __future__ import annotations

import re
from pathlib import Path

GIT_LOG = (
    "log",
    "--all",
    "-p",
    "--no-color",
    "--no-ext-diff",
    "--unified=0",
    "--no-renames",
    "--format=commit %H",
)
HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
MARK = " (commit "


def display(path: str, commit: str) -> str:
    return f"{path}{MARK}{commit[:12]})"


def path_of(shown: str) -> str:
    """The path of a history finding without its commit (for the fingerprint)."""
    return shown.split(MARK, 1)[0]


def _write(tree: Path, commit: str, path: str, lines: dict[int, str]) -> str:
    rel = f"{commit[:12]}/{path}"
    target = tree / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    last = max(lines)
    target.write_text("\n".join(lines.get(i, "") for i in range(1, last + 1)) + "\n")
    return rel


def lay_out(log: str, tree: Path) -> dict[str, str]:
    """Write the added lines of `git log -p` output under `tree`; returns tree-relative file
    -> shown location (path (commit abcdef123456))."""
    origins: dict[str, str] = {}
    commit, path, line = "", None, 0
    lines: dict[int, str] = {}

    def flush() -> None:
        if path and lines and commit:
            origins[_write(tree, commit, path, lines)] = display(path, commit)

    for raw in log.splitlines():
        if raw.startswith("commit ") and len(raw) >= 47:
            flush()
            commit, path, lines = raw[7:].strip(), None, {}
        elif raw.startswith("+++ "):
            flush()
            target = raw[4:]
            path = target[2:] if target.startswith("b/") else None
            lines = {}
        elif raw.startswith("@@"):
            match = HUNK.match(raw)
            line = int(match.group(1)) if match else 0
        elif raw.startswith("+") and path is not None and line > 0:
            lines[line] = raw[1:]
            line += 1
    flush()
    return origins
