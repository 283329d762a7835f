"""hadolint (iac): Dockerfile lint, `-f json`, with shipyard's own configuration.

The repository's `.hadolint.yaml` (which could ignore rules or lower their level) is not read:
hadolint gets shipyard's `--config` and starts in an empty directory; inline
`# hadolint ignore=` pragmas are not obeyed (`--disable-ignore-pragma`).

The JSON is read by the lint action's hadolint parser (one parser for both actions); this
module only maps its findings onto the audit's severities and fingerprints.
"""

from __future__ import annotations

from pathlib import Path

from shipyard.lint.findings import Finding as LintFinding
from shipyard.lint.findings import ParseError
from shipyard.lint.parsers import hadolint as lint_hadolint

from ..findings import Finding, Severity, fingerprint_of
from . import Job, ScanEnv, ScanOutput, read_line, relative, tool

#: hadolint's error is a medium risk; its warnings, infos and style notes are low.
LEVELS: dict[str, Severity] = {"error": "medium", "warning": "low", "note": "low"}


def job(env: ScanEnv, dockerfiles: list[str]) -> Job:
    argv = (
        tool("hadolint"),
        "--config",
        str(env.config("hadolint.yaml")),
        "--disable-ignore-pragma",
        "--format",
        "json",
        "--no-fail",
        "--",
        *(str(env.root / rel) for rel in dockerfiles),
    )
    return Job("hadolint", argv, lambda c, o, e: parse(c, o, e, env.root), env.neutral_dir)


def parse(code: int, stdout: str, stderr: str, root: Path) -> ScanOutput:
    try:
        if code != 0 and not stdout.strip():
            raise ParseError("no output")
        found = lint_hadolint.parse(stdout, str(root))
    except ParseError:
        tail = (stderr or stdout).strip().splitlines()[-1:] or [f"exit code {code}"]
        return ScanOutput(warnings=[f"hadolint gave no report: {tail[0][:300]}"])
    out = ScanOutput()
    cache: dict[str, list[str]] = {}
    for item in found:
        out.findings.append(_finding(item, root, cache))
    return out


def _finding(item: LintFinding, root: Path, cache: dict[str, list[str]]) -> Finding:
    rel = relative(item.file or "", root)
    text = read_line(root, rel, item.line, cache)
    return Finding(
        scanner="hadolint",
        id=item.rule,
        severity=LEVELS.get(item.severity, "low"),
        message=item.message,
        fingerprint=fingerprint_of("hadolint", item.rule, rel, text),
        file=rel,
        line=item.line,
        title=item.rule,
        help_uri=item.help_url if item.rule.startswith("DL") else None,
    )
