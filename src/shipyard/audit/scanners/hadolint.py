"""hadolint (iac): Dockerfile lint, `-f json`, with shipyard's own configuration.

The repository's `.hadolint.yaml` (which could ignore rules or lower their level) is not read:
hadolint gets shipyard's `--config` and starts in an empty directory; inline
`# hadolint ignore=` pragmas are not obeyed (`--disable-ignore-pragma`).

The JSON is read by the shared hadolint parser (the one lint uses); this module maps its
findings onto the audit's severities and identities (rule, file and the text of the line:
the fingerprints of the ignore file).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from shipyard.findings.kinds import relative
from shipyard.findings.model import (
    Finding,
    Level,
    LineText,
    ParseError,
    Severity,
    fingerprint_of,
    level_of,
)
from shipyard.findings.parsers import hadolint as parser
from shipyard.findings.tool import Output, Parsed, Tool

from . import Lines, ScanEnv, no_report

#: hadolint's error is a medium risk; its warnings, infos and style notes are low.
LEVELS: dict[Level, Severity] = {"error": "medium", "warning": "low", "note": "low"}


def job(env: ScanEnv, lines: Lines, dockerfiles: list[str]) -> Tool:
    """hadolint over the Dockerfiles (relative to the audited folder)."""
    argv = (
        env.tool("hadolint"),
        "--config",
        str(env.config("hadolint.yaml")),
        "--disable-ignore-pragma",
        "--format",
        "json",
        "--no-fail",
        "--",
        *(str(env.root / rel) for rel in dockerfiles),
    )
    read = partial(parse, root=env.root, lines=lines(env.root))
    return Tool("hadolint", argv, read, cwd=env.neutral_dir, timeout=env.timeout)


def parse(output: Output, root: Path, lines: LineText) -> Parsed:
    """hadolint's findings as audit findings."""
    try:
        if output.exit_code != 0 and not output.text.strip():
            raise ParseError("no output")
        found = parser.parse(output.text, str(root))
    except ParseError:
        raise ParseError(no_report("hadolint", output)) from None
    return Parsed([_finding(item, root, lines) for item in found])


def _finding(item: Finding, root: Path, lines: LineText) -> Finding:
    rel = relative(item.file or "", root)
    severity = LEVELS.get(item.level, "low")
    return replace(
        item,
        level=level_of(severity),
        severity=severity,
        fingerprint=fingerprint_of("hadolint", item.rule, rel, lines(rel, item.line)),
        file=rel,
        column=None,  # the audit reports lines
        title=item.rule,
        help_url=item.help_url if item.rule.startswith("DL") else None,
    )
