"""Formatters' ``--check --diff`` output (black, isort, ruff format): one finding per hunk."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..kinds import relative
from ..model import Finding

HUNK = re.compile(r"^@@ -(?P<start>\d+)(?:,(?P<length>\d+))? \+\d+(?:,\d+)? @@")
# isort: "--- /abs/path:before\t<date>"; black: "--- path\t<date>"; ruff: "--- path".
HEADER_SUFFIX = re.compile(r"(:before|:after)?(\t.*)?$")
MAX_HUNK_LINES = 30
# black: "error: cannot parse: f.py:1:6" (26.x) or "error: cannot format f.py: Cannot parse: 1:6: x"
CANNOT = re.compile(
    r"^error: cannot (?:format|parse):? (?P<file>.+?)"
    r"(?::(?P<line>\d+):(?P<col>\d+))?(?:: (?P<text>.*))?$"
)
POSITION = re.compile(r"(\d+):(\d+)")
HELP = {
    "black": "https://black.readthedocs.io/en/stable/the_black_code_style/",
    "isort": "https://pycqa.github.io/isort/",
    "ruff-format": "https://docs.astral.sh/ruff/formatter/",
}


@dataclass
class _Hunk:
    file: str
    start: int
    lines: list[str] = field(default_factory=list)

    def _entries(self) -> list[tuple[str, int, str]]:
        """(kind, line, text) per diff line: an original line (" " or "-") with its number,
        an inserted one ("+") with the number of the original line it goes after."""
        entries, line = [], self.start
        for raw in self.lines:
            kind, text = raw[:1], raw[1:]
            if kind == "+":
                entries.append((kind, line - 1, text))
            else:
                entries.append((kind, line, text))
                line += 1
        return entries

    def changed_span(self) -> tuple[int, int]:
        """First and last line of the original file that the hunk changes. Lines inserted
        between two lines (a pure insertion) touch both of them."""
        entries = self._entries()
        marked = []
        for index, (kind, line, _text) in enumerate(entries):
            if kind == "-":
                marked.append(line)
            elif kind == "+" and not _beside_removal(entries, index):
                marked.append(line)  # the line before the insertion (0: the top of the file)
                after = _next_original(entries, index)
                marked.extend([after] if after is not None else [])
        kept = [line for line in marked if line >= 1]
        if not kept:
            return max(self.start, 1), max(self.start, 1)
        return min(kept), max(kept)

    def replacement(self, first: int, last: int) -> str | None:
        """The formatted text of lines ``first``..``last`` (None when it changes nothing)."""
        old, new = [], []
        for kind, line, text in self._entries():
            if kind == "+" and first - 1 <= line <= last:
                new.append(text)
            elif kind != "+" and first <= line <= last:
                old.append(text)
                new.extend([text] if kind == " " else [])
        return None if new == old else "\n".join(new)


def _beside_removal(entries: list[tuple[str, int, str]], index: int) -> bool:
    """Whether the run of "+" lines at ``index`` replaces removed lines (next to a "-")."""
    for step in (-1, 1):
        at = index + step
        while 0 <= at < len(entries) and entries[at][0] == "+":
            at += step
        if 0 <= at < len(entries) and entries[at][0] == "-":
            return True
    return False


def _next_original(entries: list[tuple[str, int, str]], index: int) -> int | None:
    """The original line that follows the "+" line at ``index`` in the hunk, if any."""
    return next((line for kind, line, _ in entries[index + 1 :] if kind != "+"), None)


def _hunks(diff: str, root: str) -> list[_Hunk]:
    hunks: list[_Hunk] = []
    current: str | None = None
    lines = diff.splitlines()
    skip = False
    for index, raw in enumerate(lines):
        if skip:
            skip = False
            continue
        if (
            raw.startswith("--- ")
            and index + 1 < len(lines)
            and lines[index + 1].startswith("+++ ")
        ):
            current = relative(HEADER_SUFFIX.sub("", raw[4:]), root)
            skip = True
            continue
        match = HUNK.match(raw)
        if match and current is not None:
            hunks.append(_Hunk(current, int(match["start"])))
        elif hunks and current is not None and hunks[-1].file == current and raw[:1] in " +-":
            hunks[-1].lines.append(raw)
    return hunks


def parse(stdout: str, root: str, *, tool: str) -> list[Finding]:
    """One finding per hunk of the formatter's diff, and one per file it cannot format."""
    findings = cannot_format(stdout, root, tool=tool)
    for hunk in _hunks(stdout, root):
        first, last = hunk.changed_span()
        shown = hunk.lines[:MAX_HUNK_LINES]
        more = len(hunk.lines) - len(shown)
        body = "\n".join(shown) + (f"\n... {more} more lines" if more > 0 else "")
        findings.append(
            Finding(
                tool=tool,
                rule="format" if tool != "isort" else "import-order",
                level="error",
                message=f"{tool} would reformat these lines:\n{body}",
                file=hunk.file,
                line=first,
                end_line=last if last != first else None,
                fix_available=True,
                help_url=HELP.get(tool),
                replacement=hunk.replacement(first, last),
            )
        )
    return findings


def cannot_format(output: str, root: str, *, tool: str) -> list[Finding]:
    """Files the formatter could not read (a syntax error): one error each."""
    findings = []
    for raw in output.splitlines():
        match = CANNOT.match(raw.strip())
        if match is None:
            continue
        line, column = match["line"], match["col"]
        text = match["text"] or "cannot parse"
        if line is None and (position := POSITION.search(text)):
            line, column = position.group(1), position.group(2)
        findings.append(
            Finding(
                tool=tool,
                rule="cannot-format",
                level="error",
                message=f"{tool} cannot format this file: {text}",
                file=relative(match["file"], root),
                line=int(line) if line else None,
                column=int(column) if column else None,
                help_url=HELP.get(tool),
            )
        )
    return findings


def files_in(stdout: str, root: str) -> list[str]:
    """The files a diff touches, in order."""
    seen: dict[str, None] = {}
    for hunk in _hunks(stdout, root):
        seen.setdefault(hunk.file, None)
    return list(seen)
