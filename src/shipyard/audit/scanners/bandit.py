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

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..findings import Finding, fingerprint_of
from ..severity import from_scanner
from . import Job, ScanEnv, ScanOutput, read_line, relative, tool

#: Below this many Python files one bandit process is enough.
SPLIT_FROM = 200


def job(
    env: ScanEnv, targets: Sequence[str] = (), name: str = "bandit", skip: Sequence[str] = ()
) -> Job:
    """bandit over `targets` (top-level folders or files of the repository; all of it when
    empty), recursively, with shipyard's settings. `skip`: files of the tree bandit must not
    read (links that lead out of the audited folder)."""
    excluded = ",".join([*(str(env.root / folder) for folder in env.excluded), *skip])
    report = env.temp_dir / f"{name}.json"
    paths = [str(env.root / t) for t in targets] or [str(env.root)]
    argv = (
        tool("bandit"),
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
    return Job(
        name,
        argv,
        lambda code, out, err: parse(code, out, err, env.root),
        env.neutral_dir,
        report,
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


def jobs(env: ScanEnv, files: Sequence[str], workers: int, skip: Sequence[str] = ()) -> list[Job]:
    sizes = {}
    for rel in files:
        if rel.endswith(".py"):
            try:
                sizes[rel] = (env.root / rel).stat().st_size
            except OSError:
                continue
    groups = split(sizes, workers)
    if len(groups) < 2:
        return [job(env, skip=skip)]
    return [job(env, group, f"bandit-{i}", skip) for i, group in enumerate(groups, start=1)]


def parse(code: int, stdout: str, stderr: str, root: Path) -> ScanOutput:
    try:
        data = json.loads(stdout[stdout.find("{") :]) if "{" in stdout else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        tail = (stderr or stdout).strip().splitlines()[-1:] or [f"exit code {code}"]
        return ScanOutput(warnings=[f"bandit gave no report: {tail[0]}"])
    out = ScanOutput()
    lines: dict[str, list[str]] = {}
    nosec = 0
    for item in data.get("results", []):
        rel = relative(str(item.get("filename", "")), root)
        line = int(item.get("line_number") or 0) or None
        test_id = str(item.get("test_id", "B000"))
        text = read_line(root, rel, line, lines)
        nosec += "nosec" in text
        out.findings.append(
            Finding(
                scanner="bandit",
                id=test_id,
                severity=from_scanner(str(item.get("issue_severity"))),
                message=f"{item.get('issue_text', '')} "
                f"(confidence: {str(item.get('issue_confidence', '')).lower()})",
                fingerprint=fingerprint_of("bandit", test_id, rel, text),
                file=rel,
                line=line,
                title=str(item.get("test_name", test_id)),
                help_uri=item.get("more_info"),
            )
        )
    for error in data.get("errors", []):
        out.warnings.append(f"bandit could not read {relative(str(error.get('filename')), root)}")
    if nosec:
        out.notes.append(
            f"{nosec} bandit finding(s) on lines marked `# nosec` are reported: the audit "
            "does not obey `# nosec`; accept a finding in the ignore file (reason, expiry)."
        )
    return out
