"""hadolint ``-f json``."""

from __future__ import annotations

from shipyard.lint.findings import Finding, ParseError, Severity, positive, relative

from ._json import load, mapping, text

SEVERITY: dict[str, Severity] = {
    "error": "error",
    "warning": "warning",
    "info": "note",
    "style": "note",
}


def help_url(code: str) -> str | None:
    if code.startswith("DL"):
        return f"https://github.com/hadolint/hadolint/wiki/{code}"
    if code.startswith("SC"):
        return f"https://www.shellcheck.net/wiki/{code}"
    return None


def parse(stdout: str, root: str) -> list[Finding]:
    data = load(stdout, "hadolint", empty=[])
    if not isinstance(data, list):
        raise ParseError("hadolint printed JSON that is not a list of findings")
    findings = []
    for item in data:
        entry = mapping(item)
        code = text(entry.get("code")) or "hadolint"
        findings.append(
            Finding(
                tool="hadolint",
                rule=code,
                severity=SEVERITY.get(text(entry.get("level")), "warning"),
                message=text(entry.get("message")),
                file=relative(text(entry.get("file")), root) or None,
                line=positive(entry.get("line")),
                column=positive(entry.get("column")),
                help_url=help_url(code),
            )
        )
    return findings
