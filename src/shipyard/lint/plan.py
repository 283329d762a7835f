"""The plan of a lint run (pure): which linters run and why, which files each one gets, the
command lines of the runs and the fixes, and which findings are kept."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from shipyard.findings.model import Finding, in_files, on_lines
from shipyard.findings.model import keep as keep_only
from shipyard.runtime import InputError

from .config import excluded
from .detect import Detection
from .spec import Settings
from .tools import FIX_ORDER, LINTERS


def refuse_pull_request_target(settings: Settings, event_name: str) -> None:
    """lint runs the repository's code: not with a pull_request_target job's secrets, unless
    the caller says the checkout is safe (allow-pull-request-target)."""
    if event_name == "pull_request_target" and not settings.allow_pull_request_target:
        raise InputError(
            "allow-pull-request-target",
            "lint does not run on pull_request_target events: it executes code from the "
            "checkout (linter plugins, pylint's init-hook, mypy plugins), and this job holds "
            "the base repository's secrets and a write token.",
            hint="Lint pull requests on the pull_request event. If this job checks out only "
            "trusted code (the base branch), set allow-pull-request-target: true.",
        )


def choose(settings: Settings, detection: Detection) -> tuple[list[str], dict[str, str]]:
    """The linters to run and why: the detected ones for auto, plus any named."""
    reasons: dict[str, str] = {}
    if "auto" in settings.linters:
        reasons.update(detection.reasons)
    for name in settings.linters:
        if name != "auto":
            reasons.setdefault(name, "the linters input")
    return [name for name in LINTERS if name in reasons], reasons


def skipped(settings: Settings, detection: Detection) -> dict[str, str]:
    """The linters the repository lists that do not run, and why (for the summary): with
    auto, those detection set aside, unless the linters input names them."""
    if "auto" not in settings.linters:
        return {}
    return {name: why for name, why in detection.skipped.items() if name not in settings.linters}


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
    """A path pattern with "/" separators, no leading ``./`` and no trailing "/"."""
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
    #: The linter lints the files its configuration names (mypy's files): ``files`` are
    #: those of the selection among them, and none is passed on the command line.
    own_files: bool = False


def targets(
    linters: Sequence[str],
    selected: Sequence[str],
    changed: Sequence[str] | None,
    whole_project: Sequence[str],
    own_excludes: Mapping[str, Sequence[str]] | None = None,
    own_files: Mapping[str, Sequence[str]] | None = None,
) -> list[Target]:
    """Per linter: the selected files it accepts (minus the excludes it would apply only to
    files it finds itself; within the files its configuration names, if it names some);
    with ``changed`` (only-changed) only those, except for whole-project linters, which lint
    everything and report on the changed files."""
    changed_set = frozenset(changed) if changed is not None else None
    plan = []
    for name in linters:
        skip = (own_excludes or {}).get(name, ())
        named = (own_files or {}).get(name, ())
        accepted = [
            path
            for path in selected
            if LINTERS[name].accepts(path)
            and not (skip and excluded(path, skip, rooted=name == "black"))
            and (not named or any(matches(path, pattern) for pattern in named))
        ]
        own = bool(named)
        if changed_set is None:
            plan.append(Target(name, tuple(accepted), None, own))
        elif name in whole_project:
            relevant = changed_set & frozenset(accepted)
            plan.append(Target(name, tuple(accepted) if relevant else (), relevant, own))
        else:
            plan.append(Target(name, tuple(p for p in accepted if p in changed_set), None))
    return plan


def discovered(plan: Sequence[Target], linters: Sequence[str], found: set[str]) -> list[Target]:
    """``plan`` with the files of ``linters`` narrowed to those the linter itself finds from
    the project's root (``found``): its excludes as the project's own run applies them (ruff
    reads the configuration nearest each file it is handed, so a folder the root excludes
    but that has its own pyproject.toml would be linted)."""
    return [
        replace(target, files=tuple(p for p in target.files if p in found))
        if target.linter in linters
        else target
        for target in plan
    ]


def keep(findings: Iterable[Finding], target: Target, selected: frozenset[str]) -> list[Finding]:
    """The findings to report: in the selection (a linter may report on files it imported),
    and in the changed files for whole-project linters."""
    filters = [in_files(selected)]
    if target.report_only is not None:
        filters.append(in_files(target.report_only, unplaced=False))
    return keep_only(findings, *filters)


def on_changed_lines(
    findings: Sequence[Finding], spans: Mapping[str, Sequence[tuple[int, int]]]
) -> tuple[list[Finding], list[Finding]]:
    """changed-lines-only: (the findings on the lines a pull request changes, the existing
    ones). ``spans``: per changed file, the lines that count (see ``lines.PullDiff.spans``)."""
    test = on_lines(spans)
    return keep_only(findings, test), [finding for finding in findings if not test(finding)]


def split_args(text: str, linter: str) -> tuple[str, ...]:
    """The ``args`` input of one linter, split like a shell (never run by one)."""
    try:
        return tuple(shlex.split(text))
    except ValueError as exc:
        raise InputError("args", f"{linter}: {exc}") from None


def extra_args(
    settings: Settings, linter: str, imports: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """What a linter gets before its files besides its own options: the project's imports
    (mypy's --python-executable, pylint's sys.path), then the args input."""
    return imports.get(linter, ()) + split_args(settings.args.get(linter, ""), linter)


def import_args(python: str | None, sys_path: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
    """mypy's and pylint's view of the project's installed packages: mypy runs with its
    interpreter, pylint extends its sys.path (``sys_path`` as that interpreter printed it)."""
    if python is None:
        return {}
    extra: dict[str, tuple[str, ...]] = {"mypy": ("--python-executable", python)}
    if sys_path:
        hook = f"import sys; sys.path.extend({list(sys_path)!r})"
        extra["pylint"] = (f"--init-hook={hook}",)
    return extra


def fixes(plan: Sequence[Target], executables: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """The fixers to run, in order (imports first, then the formatters): (name, argv)."""
    by_name = {target.linter: target for target in plan}
    found = []
    for name in FIX_ORDER:
        target = by_name.get(name)
        if target is None or not target.files:
            continue
        argv = LINTERS[name].fix_argv(executables[name], target.files)
        if argv:
            found.append((name, argv))
    return found


def fixed_files(plan: Sequence[Target]) -> list[str]:
    """The files the fixers may change."""
    by_name = {target.linter: target for target in plan}
    return sorted({path for name in FIX_ORDER if name in by_name for path in by_name[name].files})
