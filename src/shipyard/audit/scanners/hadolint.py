"""hadolint (iac): Dockerfile lint, `-f json`, with the repository's .hadolint.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from ..findings import Finding, Severity, fingerprint_of
from . import Job, ScanEnv, ScanOutput, read_line, relative, tool

LEVELS: dict[str, Severity] = {"error": "medium", "warning": "low", "info": "low", "style": "low"}
WIKI = "https://github.com/hadolint/hadolint/wiki/"


def job(env: ScanEnv, dockerfiles: list[str]) -> Job:
    argv = (tool("hadolint"), "--format", "json", "--no-fail", *dockerfiles)
    return Job("hadolint", argv, lambda c, o, e: parse(c, o, e, env.root), env.root)


def parse(code: int, stdout: str, stderr: str, root: Path) -> ScanOutput:
    # hadolint writes its JSON on one line of stdout (merged with any message on stderr).
    lines = [line for line in stdout.splitlines() if line.startswith("[")]
    try:
        data = json.loads(lines[0]) if lines else ([] if code == 0 else None)
    except ValueError:
        data = None
    if not isinstance(data, list):
        tail = (stderr or stdout).strip().splitlines()[-1:] or [f"exit code {code}"]
        return ScanOutput(warnings=[f"hadolint gave no report: {tail[0][:300]}"])
    out = ScanOutput()
    cache: dict[str, list[str]] = {}
    for item in data:
        rel = relative(str(item.get("file", "")), root)
        line = int(item.get("line") or 0) or None
        rule = str(item.get("code", "DL0000"))
        text = read_line(root, rel, line, cache)
        out.findings.append(
            Finding(
                scanner="hadolint",
                id=rule,
                severity=LEVELS.get(str(item.get("level")), "low"),
                message=str(item.get("message", "")),
                fingerprint=fingerprint_of("hadolint", rule, rel, text),
                file=rel,
                line=line,
                title=rule,
                help_uri=WIKI + rule if rule.startswith("DL") else None,
            )
        )
    return out
