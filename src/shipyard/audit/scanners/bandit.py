"""bandit (code): `bandit -r -f json` with shipyard's own settings, never the repository's.

A repository's bandit configuration (`.bandit`, which bandit looks for in every folder it
scans; `bandit.yaml`; `[tool.bandit]` in pyproject.toml) can skip tests, select a few, exclude
folders, narrow the targets, point at a baseline of accepted findings or change what a plugin
flags: each of these turns the gate off for some code, so none of it is obeyed (the summary
notes what was found; `audit.repoconfig`). `--ini` names shipyard's own empty `.bandit`, so
bandit looks for none in the tree; no `-c` is given, so bandit's defaults apply; and
`--ignore-nosec` reports lines marked `# nosec` too (counted in a note): a finding is
accepted in the audit's ignore file, with a reason and an expiry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from shipyard.findings.model import LineText, ParseError
from shipyard.findings.parsers import bandit as parser
from shipyard.findings.tool import Output, Parsed, Tool

from . import Lines, ScanEnv, no_report

#: Below this many Python files one bandit process is enough.
SPLIT_FROM = 200


def job(
    env: ScanEnv,
    lines: Lines,
    targets: Sequence[str] = (),
    name: str = "bandit",
    skip: Sequence[str] = (),
) -> Tool:
    """bandit over `targets` (top-level folders or files of the repository; all of it when
    empty), recursively, with shipyard's settings. `skip`: files of the tree bandit must not
    read (links that lead out of the audited folder)."""
    excluded = ",".join([*(str(env.root / folder) for folder in env.excluded), *skip])
    report = env.temp_dir / f"{name}.json"
    paths = [str(env.root / t) for t in targets] or [str(env.root)]
    argv = (
        env.tool("bandit"),
        "-r",
        "-f",
        "json",
        "-q",
        "--ini",
        str(env.config("bandit.ini")),
        "--ignore-nosec",
        "-x",
        excluded,
        "-o",
        str(report),
        "--",
        *paths,
    )
    return Tool(
        name,
        argv,
        partial(parse, root=env.root, lines=lines(env.root)),
        cwd=env.neutral_dir,
        timeout=env.timeout,
        report=report,
    )


def split(python_files: Mapping[str, int], workers: int) -> list[list[str]]:
    """Groups of the repository's folders (two levels deep) and loose files holding Python
    files, of about the same total size each, one per worker (bandit is single-threaded; a
    large tree gets one process per core). `python_files` maps paths to sizes."""
    if workers < 2 or len(python_files) < SPLIT_FROM:
        return []
    weights: Counter[str] = Counter()
    for path, size in python_files.items():
        parts = path.split("/")
        weights["/".join(parts[:2]) if len(parts) > 2 else path] += max(size, 1)
    groups: list[list[str]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for unit, weight in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
        lightest = loads.index(min(loads))
        groups[lightest].append(unit)
        loads[lightest] += weight
    return [sorted(g) for g in groups if g]


def jobs(
    env: ScanEnv,
    lines: Lines,
    python_files: Mapping[str, int],
    workers: int,
    skip: Sequence[str] = (),
) -> list[Tool]:
    """One bandit over the tree, or one per group of `split` on a large tree (`python_files`:
    the tree's Python files and their sizes)."""
    groups = split(python_files, workers)
    if len(groups) < 2:
        return [job(env, lines, skip=skip)]
    return [job(env, lines, group, f"bandit-{i}", skip) for i, group in enumerate(groups, start=1)]


def parse(output: Output, root: Path, lines: LineText) -> Parsed:
    """bandit's report as audit findings; the files it could not read are warnings, and the
    findings on lines marked `# nosec` (reported all the same) a note."""
    try:
        data = parser.load(output.text)
    except ParseError:
        raise ParseError(no_report("bandit", output)) from None
    findings = parser.findings(data, root, lines)
    nosec = sum("nosec" in lines(f.file or "", f.line) for f in findings)
    notes = []
    if nosec:
        notes.append(
            f"{nosec} bandit finding(s) on lines marked `# nosec` are reported: the audit "
            "does not obey `# nosec`; accept a finding in the ignore file (reason, expiry)."
        )
    warnings = [f"bandit could not read {path}" for path in parser.unread(data, root)]
    return Parsed(findings, warnings, notes)
