"""flake8's default text format: ``path:row:col: CODE message``."""

from __future__ import annotations

import re

from ..kinds import relative
from ..model import Finding

LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) (?P<text>.*)$"
)
PYCODESTYLE = "https://pycodestyle.pycqa.org/en/latest/intro.html#error-codes"
PYFLAKES = "https://flake8.pycqa.org/en/latest/user/error-codes.html"
MCCABE = "https://github.com/PyCQA/mccabe"


def help_url(code: str) -> str | None:
    """The documentation of a flake8 code (pycodestyle, pyflakes, mccabe)."""
    if code.startswith(("E", "W")):
        return PYCODESTYLE
    if code.startswith("F"):
        return PYFLAKES
    if code.startswith("C9"):
        return MCCABE
    return None


def parse(stdout: str, root: str) -> list[Finding]:
    """flake8's findings (every line that is one; others are left to ``unparsed``)."""
    findings: list[Finding] = []
    for raw in stdout.splitlines():
        match = LINE.match(raw.strip())
        if match is None:
            continue
        code = match["code"]
        findings.append(
            Finding(
                tool="flake8",
                rule=code,
                level="error",
                message=match["text"],
                file=relative(match["file"], root),
                line=int(match["line"]),
                column=int(match["col"]) or None,
                help_url=help_url(code),
            )
        )
    return findings


def unparsed(stdout: str) -> list[str]:
    """The non-empty lines that are not findings (a plugin crash, a config error)."""
    return [line for line in stdout.splitlines() if line.strip() and not LINE.match(line.strip())]
