"""A pull request on a real git repository for changed-lines-only and review tests: old
findings on main, new ones on the feature branch, and a main that moved on since."""

from __future__ import annotations

import json
from pathlib import Path

from tests.lint._sample import git

LONG = '"' + "x" * 110 + '"'
APP_BASE = f"""\
import os


def old(value):
    return value + 1


LONG = {LONG}
"""
# the pull request adds a function: one blank line too few (black, flake8 E302), an operator
# without spaces (black), an undefined name (flake8 F821, mypy name-defined)
APP_HEAD = APP_BASE + "\ndef new(value: int) -> int:\n    return value+undefined\n"
# clean new lines: only old findings remain in the changed file
APP_CLEAN = APP_BASE + "\n\ndef new(value: int) -> int:\n    return value + 1\n"
# main fixes the long line after the branch point: the head's line 8 differs from main's tip,
# not from the merge base (base..head would call it changed; base...head does not)
APP_MAIN = APP_BASE.replace(f"LONG = {LONG}", 'LONG = "short"')
FILLER = "".join(f"value_{n} = {n}\n" for n in range(15))
FORMAT_BASE = "x = { 'a':1 }\n" + FILLER
FORMAT_HEAD = FORMAT_BASE + "y = [1,2]\n"
PYPROJECT = "[tool.black]\nline-length = 100\n\n[tool.mypy]\nstrict = true\n"
TOKEN = "ghp_lint_review_token"
REPOSITORY = "your-org/app"


def make_pull(
    tmp_path: Path,
    app_head: str = APP_HEAD,
    format_head: str | None = FORMAT_HEAD,
    app_main: str = APP_MAIN,
) -> tuple[Path, Path, str, str]:
    """The repository on the feature branch (checked out), the event file, base and head
    (``format_head`` None: the pull request leaves formatting.py alone)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name, text in {
        "pyproject.toml": PYPROJECT,
        "app.py": APP_BASE,
        "formatting.py": FORMAT_BASE,
    }.items():
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    (repo / "app.py").write_text(app_head)
    if format_head is not None:
        (repo / "formatting.py").write_text(format_head)
    git(repo, "commit", "-qam", "feature")
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    (repo / "app.py").write_text(app_main)
    git(repo, "commit", "-qam", "main moves on")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "feature")
    event = {
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"sha": base, "ref": "main"},
            "head": {"sha": head, "ref": "feature"},
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    return repo, event_path, base, head


def pr_env(event_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a pull_request run."""
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event_path), **extra}


def github_patches(repo: Path, base: str, head: str) -> list[dict[str, str]]:
    """The PR files API's entries as GitHub computes them: ``base...head``, 3 lines of
    context, each file's patch from its first ``@@``."""
    names = git(repo, "diff", "--name-only", f"{base}...{head}").splitlines()
    files = []
    for name in names:
        diff = git(repo, "diff", f"{base}...{head}", "--", name)
        files.append({"filename": name, "patch": diff[diff.index("\n@@") + 1 :]})
    return files
