"""A job-summary builder (GitHub-flavoured Markdown), in the spirit of @actions/core's summary.

Text placed in cells, list items and headings is escaped, so a branch name or a commit
message cannot break the table or inject HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

#: The job summary's size limit in bytes, below GitHub's 1 MiB per step.
SUMMARY_LIMIT = 1_000_000


def escape_text(text: object) -> str:
    """Escape text for inline Markdown in a summary: HTML special characters and line breaks
    (CRLF, LF and a bare CR, which would otherwise break the line in some renderers)."""
    escaped = html.escape(str(text), quote=False)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def escape_cell(text: object) -> str:
    """Escape text for a Markdown table cell: also the pipe that would split the cell."""
    return escape_text(text).replace("|", "\\|")


class Summary:
    """Collects Markdown blocks; ``render()`` joins them. Methods chain."""

    def __init__(self) -> None:
        self._blocks: list[str] = []

    def __bool__(self) -> bool:
        return bool(self._blocks)

    def raw(self, markdown: str) -> Summary:
        """Add trusted Markdown as it is (no escaping)."""
        self._blocks.append(markdown.rstrip("\n"))
        return self

    def heading(self, text: str, level: int = 2) -> Summary:
        """A heading of ``level`` 1 to 6 (escaped text)."""
        level = min(max(level, 1), 6)
        return self.raw(f"{'#' * level} {escape_text(text)}")

    def paragraph(self, text: str) -> Summary:
        """A paragraph of plain text (escaped; line breaks kept)."""
        return self.raw(escape_text(text))

    def table(self, header: Sequence[object], rows: Iterable[Sequence[object]]) -> Summary:
        """A table; cells are plain text (escaped). Use :func:`link` for a linked cell."""
        lines = [
            "| " + " | ".join(escape_cell(cell) for cell in header) + " |",
            "|" + "|".join(" --- " for _ in header) + "|",
        ]
        for row in rows:
            cells = [
                cell.markdown if isinstance(cell, Markdown) else escape_cell(cell) for cell in row
            ]
            cells += [""] * (len(header) - len(cells))
            lines.append("| " + " | ".join(cells) + " |")
        return self.raw("\n".join(lines))

    def list(self, items: Iterable[object], ordered: bool = False) -> Summary:
        """A bulleted (or ``ordered``) list; items are plain text or :class:`Markdown`."""
        lines = []
        for number, item in enumerate(items, start=1):
            marker = f"{number}." if ordered else "-"
            text = item.markdown if isinstance(item, Markdown) else escape_text(item)
            lines.append(f"{marker} {text}")
        return self.raw("\n".join(lines)) if lines else self

    def details(self, label: str, content: str, *, code: bool = False) -> Summary:
        """A collapsed section; ``content`` is Markdown, or literal text shown as code."""
        body = fence(content) if code else content
        return self.raw(f"<details><summary>{escape_text(label)}</summary>\n\n{body}\n\n</details>")

    def code(self, text: str, language: str = "") -> Summary:
        """A fenced code block, the fence longer than any run of backticks inside."""
        return self.raw(fence(text, language))

    def link(self, text: str, href: str) -> Summary:
        """A paragraph that is one link (text escaped, URL made safe)."""
        return self.raw(link(text, href).markdown)

    def render(self, limit: int = SUMMARY_LIMIT, *, see: str = "the step's log") -> str:
        """The Markdown, at most ``limit`` bytes (UTF-8). When over, whole blocks are kept
        up to the limit and a visible note says how much was cut."""
        if not self._blocks:
            return ""
        text = "\n\n".join(self._blocks) + "\n"
        size = len(text.encode("utf-8"))
        if size <= limit:
            return text
        kept: list[str] = []
        used = 0
        budget = max(0, limit - 200)  # room for the note
        for block in self._blocks:
            cost = len(block.encode("utf-8")) + 2
            if used + cost > budget:
                break
            kept.append(block)
            used += cost
        cut = size - used
        note = (
            f"> **... {cut} bytes cut: the summary is limited to 1 MiB; see {escape_text(see)}.**"
        )
        return "\n\n".join([*kept, note]) + "\n"


class Markdown:
    """A piece of trusted Markdown that a table cell or a list item keeps as it is."""

    def __init__(self, markdown: str):
        self.markdown = markdown

    def __str__(self) -> str:
        return self.markdown


def link(text: str, href: str) -> Markdown:
    """A Markdown link whose text and address are escaped."""
    safe_href = href.replace(" ", "%20").replace(")", "%29").replace("(", "%28")
    label = escape_cell(text).replace("[", "\\[").replace("]", "\\]")
    return Markdown(f"[{label}]({safe_href})")


def fence(text: str, language: str = "") -> str:
    """A fenced code block whose fence is longer than any run of backticks inside."""
    longest = 0
    run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{language}\n{text.rstrip()}\n{marks}"
