"""The linted folder: its files (git's tracked and unignored ones), git and the PR files API."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shipyard.runtime import ExternalError, Runner
from shipyard.runtime.http import HttpClient
from shipyard.runtime.process import run_process

#: Folders never walked when the project is not a git checkout.
SKIP_DIRS = frozenset({".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".tox"})


class Repo:
    """The linted folder: its files, git run in it, its files' text."""

    def __init__(self, root: Path, runner: Runner, checkout: Path | None = None) -> None:
        self.root = root
        self.runner = runner
        #: What ``read`` may read: the checkout the folder is in (the folder when none is given,
        #: or when it is not inside the one given).
        inside = checkout is not None and root.resolve().is_relative_to(checkout.resolve())
        self.checkout = checkout if checkout is not None and inside else root

    def git(self, args: Sequence[str]) -> tuple[int, str]:
        """``git args`` in the folder: (exit code, stdout); 127 when git is missing."""
        try:
            result = run_process(
                ["git", "-c", "core.quotepath=off", *args],
                runner=self.runner,
                cwd=self.root,
                echo=False,
                separate_stderr=True,
                timeout=120,
            )
        except ExternalError:  # no git on the runner
            return 127, ""
        return result.returncode, result.stdout

    def files(self) -> list[str]:
        """Tracked and untracked-but-not-ignored files, relative, "/"-separated."""
        code, out = self.git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        if code == 0:
            root = str(self.root)
            return sorted({p for p in out.split("\0") if p and os.path.isfile(f"{root}/{p}")})
        found = []
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            base = Path(folder).relative_to(self.root).as_posix()
            found += [name if base == "." else f"{base}/{name}" for name in names]
        return sorted(found)

    def prefix(self, workspace: str) -> str:
        """The linted folder relative to the repository root ("" at the root)."""
        code, out = self.git(["rev-parse", "--show-prefix"])
        if code == 0:
            return out.strip().rstrip("/")
        if workspace:
            relative = os.path.relpath(self.root, workspace).replace(os.sep, "/")
            return "" if relative == "." else relative
        return ""

    def read(self, path: str) -> str | None:
        """The text of a file of the folder (None when it cannot be read). Only inside the
        checkout: a path that leaves it (``-r ../../x.txt``, an absolute one, a symbolic link
        out of it) reads as missing, so a pull request cannot make the action read the
        runner's files as its configuration."""
        try:
            target = (self.root.resolve() / path).resolve()
            if not target.is_relative_to(self.checkout.resolve()):
                return None
            return target.read_text(encoding="utf-8", errors="replace")
        except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
            return None


def pr_files_pager(client: HttpClient, token: str) -> Any:
    """``get(url) -> (items, next url)`` for the PR files API, authenticated with ``token``."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    def get(url: str) -> tuple[list[Any], str | None]:
        response = client.request("GET", url, headers=headers, describe="GET pull request files")
        if response.status_code != 200:
            raise ExternalError(
                f"The pull request files API answered HTTP {response.status_code}.",
                title="lint: cannot list the changed files",
                hint="Give the token pull-requests: read (or contents: read), or fetch the "
                "base commit (actions/checkout with fetch-depth: 0).",
            )
        data = response.json()
        following = response.links.get("next", {}).get("url")
        return (data if isinstance(data, list) else []), following

    return get
