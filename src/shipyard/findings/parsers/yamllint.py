"""yamllint ``-f parsable``: ``file:line:col: [level] message (rule)``."""

from __future__ import annotations

import re

from ..kinds import relative
from ..model import Finding

LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): \[(?P<level>error|warning)\] (?P<text>.*?)"
    r"(?: \((?P<rule>[a-z0-9-]+)\))?$"
)
DOCS = "https://yamllint.readthedocs.io/en/stable/rules.html"


def parse(stdout: str, root: str) -> list[Finding]:
    """yamllint's parsable lines."""
    findings = []
    for raw in stdout.splitlines():
        match = LINE.match(raw.strip())
        if match is None:
            continue
        rule = match["rule"] or "syntax"
        findings.append(
            Finding(
                tool="yamllint",
                rule=rule,
                level="error" if match["level"] == "error" else "warning",
                message=match["text"],
                file=relative(match["file"], root),
                line=int(match["line"]),
                column=int(match["col"]) or None,
                help_url=f"{DOCS}#module-yamllint.rules.{rule.replace('-', '_')}"
                if match["rule"]
                else None,
            )
        )
    return findings
