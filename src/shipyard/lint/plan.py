"""Which files each linter gets, and which findings are kept (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .config import excluded
from .findings import Finding
from .tools import LINTERS


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """A glob over "/" paths: ``**`` crosses folders, ``*`` and ``?`` do not."""
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + "(?:/.*)?")


def normalise(pattern: str) -> str:
    text = pattern.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.rstrip("/") or "."


def matches(path: str, pattern: str) -> bool:
    """``path`` is ``pattern``, lies under it, or matches it as a glob. A pattern without
    "/" also matches any folder or file name on the way (as in .gitignore)."""
    pattern = normalise(pattern)
    if pattern == ".":
        return True
    if _glob(pattern).fullmatch(path):
        return True
    if "/" not in pattern:
        return any(_glob(pattern).fullmatch(part) for part in path.split("/"))
    return False


def select(files: Iterable[str], paths: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """The files under ``paths`` (all when empty) and not under ``exclude``."""
    chosen = []
    for path in files:
        if paths and not any(matches(path, p) for p in paths):
            continue
        if any(matches(path, pattern) for pattern in exclude):
            continue
        chosen.append(path)
    return chosen


@dataclass(frozen=True)
class Target:
    """What one linter runs on, and which of its findings count."""

    linter: str
    files: tuple[str, ...]  # passed on the command line
    report_only: frozenset[str] | None  # keep findings in these files only (None: all)


def targets(
    linters: Sequence[str],
    selected: Sequence[str],
    changed: Sequence[str] | None,
    whole_project: Sequence[str],
    own_excludes: Mapping[str, Sequence[str]] | None = None,
) -> list[Target]:
    """Per linter: the selected files it accepts (minus the excludes it would apply only to
    files it finds itself); with ``changed`` (only-changed) only those, except for
    whole-project linters, which lint everything and report on the changed files."""
    changed_set = frozenset(changed) if changed is not None else None
    plan = []
    for name in linters:
        skip = (own_excludes or {}).get(name, ())
        accepted = [
            path
            for path in selected
            if LINTERS[name].accepts(path)
            and not (skip and excluded(path, skip, rooted=name == "black"))
        ]
        if changed_set is None:
            plan.append(Target(name, tuple(accepted), None))
        elif name in whole_project:
            relevant = changed_set & frozenset(accepted)
            plan.append(Target(name, tuple(accepted) if relevant else (), relevant))
        else:
            plan.append(Target(name, tuple(p for p in accepted if p in changed_set), None))
    return plan


def keep(findings: Iterable[Finding], target: Target, selected: frozenset[str]) -> list[Finding]:
    """The findings to report: in the selection (a linter may report on files it imported),
    and in the changed files for whole-project linters."""
    kept = []
    for finding in findings:
        if finding.file is not None and finding.file not in selected:
            continue
        if target.report_only is not None and finding.file not in target.report_only:
            continue
        kept.append(finding)
    return kept
