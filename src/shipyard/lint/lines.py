"""The lines a pull request changes (pure): unified diffs read into edits per file, the line
spans findings are judged against, and the line map from the linted files to the PR head.

Two sources give the same edits: git's zero-context diff (``git diff -U0``) and the PR files
API's ``patch`` of each file (three lines of context, GitHub's hunks). An edit is a run of
removed and added lines, in git's convention: ``(old start, old count, new start, new count)``,
where a count of 0 puts its start on the line before (``+4,0``: lines were removed after
line 4 of the new file).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
#: Lines of context GitHub's pull request diff shows around a change: a review comment may
#: sit on any line of a hunk.
CONTEXT = 3
#: "Every line" of a file whose patch is unknown.
EVERY_LINE = (1, 2**31 - 1)

Edit = tuple[int, int, int, int]
Span = tuple[int, int]


@dataclass(frozen=True)
class FileChanges:
    """What a pull request changed in one file: its edits, the new-side line ranges of its
    diff's hunks (where a review comment may go), or ``whole`` when the patch is unknown
    (GitHub leaves it out for large diffs): every line then counts as changed."""

    edits: tuple[Edit, ...] = ()
    hunks: tuple[Span, ...] = ()
    whole: bool = False

    def added(self) -> list[Span]:
        """The new-side lines added or changed, as sorted inclusive ranges."""
        if self.whole:
            return [EVERY_LINE]
        return [(new, new + count - 1) for _o, _oc, new, count in self.edits if count]

    def around_removals(self) -> list[Span]:
        """The two lines on either side of each place where lines were only removed."""
        return [(max(new, 1), new + 1) for _o, _oc, new, count in self.edits if not count]

    def spans(self, *, formatter: bool) -> list[Span]:
        """The lines a finding must touch to be the pull request's: the added or changed
        ones; for a formatter also those beside a removal (it would change the gap left)."""
        spans = self.added() + (self.around_removals() if formatter else [])
        return merge(spans)

    def hunk_of(self, first: int, last: int) -> Span | None:
        """The hunk that holds lines ``first``..``last`` (None: not within one hunk)."""
        return next((h for h in self.hunks if h[0] <= first and last <= h[1]), None)

    def old_line(self, line: int) -> int | None:
        """The old-side number of new-side ``line`` (None: the line is an added one)."""
        shift = 0
        for old, old_count, new, count in self.edits:
            if count and new <= line < new + count:
                return None
            if (new + count - 1 if count else new) < line:
                shift = (old + old_count - 1 if old_count else old) - (
                    new + count - 1 if count else new
                )
        return line + shift


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted inclusive ranges, overlapping or adjacent ones joined."""
    merged: list[Span] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


@dataclass
class _Walk:
    """The edits of one file's hunks, read line by line."""

    edits: list[Edit] = field(default_factory=list)
    hunks: list[Span] = field(default_factory=list)
    old: int = 0
    new: int = 0
    run: list[int] = field(default_factory=list)  # [old, new, removed, added] of a run

    def hunk(self, match: re.Match[str]) -> None:
        self.flush()
        old, old_count = int(match[1]), int(match[2] or 1)
        new, count = int(match[3]), int(match[4] or 1)
        self.old = old if old_count else old + 1
        self.new = new if count else new + 1
        if count:
            self.hunks.append((new, new + count - 1))

    def line(self, raw: str) -> None:
        kind = raw[:1]
        if kind in (" ", ""):  # an empty line: a context line whose space was stripped
            self.flush()
            self.old, self.new = self.old + 1, self.new + 1
        elif kind in ("+", "-"):
            if not self.run:
                self.run = [self.old, self.new, 0, 0]
            if kind == "-":
                self.run[2] += 1
                self.old += 1
            else:
                self.run[3] += 1
                self.new += 1

    def flush(self) -> None:
        if self.run:
            old, new, removed, added = self.run
            self.edits.append(
                (old if removed else old - 1, removed, new if added else new - 1, added)
            )
            self.run = []

    def changes(self) -> FileChanges:
        self.flush()
        return FileChanges(tuple(self.edits), tuple(merge(self.hunks)))


def read_patch(patch: str) -> FileChanges:
    """One file's hunks (the PR files API's ``patch``; ``@@`` lines and the lines under them)."""
    walk = _Walk()
    for raw in patch.splitlines():
        match = HUNK.match(raw)
        if match:
            walk.hunk(match)
        else:  # "\\ No newline at end of file" is none of the kinds of line it reads
            walk.line(raw)
    return walk.changes()


def read_diff(text: str) -> dict[str, FileChanges]:
    """Every file of ``git diff`` output (``a/``, ``b/`` prefixes), by its new path; files
    the diff deletes are left out, and a file renamed without a change has no edit."""
    files: dict[str, FileChanges] = {}
    walk: _Walk | None = None
    path: str | None = None
    in_header = True
    for raw in text.splitlines():
        if raw.startswith("diff --git "):
            if walk is not None and path is not None:
                files[path] = walk.changes()
            walk, path, in_header = _Walk(), _renamed_to(raw), True
        elif in_header and raw.startswith("+++ "):
            name = raw[4:].removesuffix("\t")  # git ends a name with spaces with a tab
            path = None if name == "/dev/null" else _unquote(name).removeprefix("b/")
        elif in_header and raw.startswith("rename to "):
            path = _unquote(raw[len("rename to ") :])
        elif walk is not None and (match := HUNK.match(raw)):
            in_header = False
            walk.hunk(match)
        elif walk is not None and not in_header:
            walk.line(raw)
    if walk is not None and path is not None:
        files[path] = walk.changes()
    return files


def _renamed_to(header: str) -> str | None:
    """The new path of a ``diff --git a/x b/x`` line when it is unambiguous (no spaces)."""
    parts = header.split(" ")
    return parts[3].removeprefix("b/") if len(parts) == 4 and '"' not in header else None


ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


def _unquote(name: str) -> str:
    """A path as git prints it: C-quoted (``"a\\tb"``, octal bytes) when it has odd bytes."""
    if not (len(name) >= 2 and name[0] == name[-1] == '"'):
        return name
    out, index, body = bytearray(), 0, name[1:-1]
    while index < len(body):
        char = body[index]
        if char != "\\" or index + 1 >= len(body):
            out += char.encode()
            index += 1
        elif body[index + 1] in "01234567":
            out.append(int(body[index + 1 : index + 4], 8))
            index += 4
        else:
            out += ESCAPES.get(body[index + 1], body[index + 1]).encode()
            index += 2
    return out.decode("utf-8", "replace")


def with_context(changes: FileChanges, context: int = CONTEXT) -> FileChanges:
    """The same edits with the hunks a diff with ``context`` lines shows (GitHub's 3): the
    changed lines widened by ``context`` on each side, hunks that meet joined, as git does."""
    if changes.whole:
        return changes
    spans = []
    for _old, _old_count, new, count in changes.edits:
        first, last = (new, new + count - 1) if count else (new + 1, new)
        spans.append((max(first - context, 1), last + context))
    return FileChanges(changes.edits, tuple(merge(spans)))


def from_api_files(items: Iterable[Mapping[str, object]], prefix: str) -> dict[str, FileChanges]:
    """The changes of the PR files API's entries (removed files left out), for the files
    under ``prefix`` (the linted folder from the repository root), made relative. A file
    without a ``patch`` (too large, binary) is ``whole``."""
    found: dict[str, FileChanges] = {}
    folder = prefix.rstrip("/") + "/" if prefix else ""
    for item in items:
        name = str(item.get("filename") or "")
        if item.get("status") == "removed" or not name or not name.startswith(folder):
            continue
        patch = item.get("patch")
        found[name[len(folder) :]] = (
            read_patch(patch) if isinstance(patch, str) and patch else FileChanges(whole=True)
        )
    return found


@dataclass(frozen=True)
class PullDiff:
    """A pull request's changes as lint uses them.

    ``changes`` are in the linted files' lines (they judge findings); ``review`` in the PR
    head's lines, with GitHub's hunks (where review comments go); ``to_head`` maps the
    linted files' lines to the head's where they differ (None: the linted files are the
    head's). ``head`` is the head commit, ``how`` says where the lines came from."""

    number: int
    head: str
    how: str
    changes: Mapping[str, FileChanges]
    review: Mapping[str, FileChanges]
    to_head: Mapping[str, FileChanges] | None = None

    def spans(self, *, formatter: bool) -> dict[str, list[Span]]:
        """Per changed file, the lines a finding must touch to count (see ``FileChanges``)."""
        return {path: c.spans(formatter=formatter) for path, c in self.changes.items()}

    def head_lines(self, file: str, first: int, last: int) -> Span | None:
        """Lines ``first``..``last`` of a linted file as lines of the PR head (None: they
        are not all the head's, unchanged and in one piece)."""
        if self.to_head is None or file not in self.to_head:
            return first, last
        mapped = self.to_head[file].old_line(first), self.to_head[file].old_line(last)
        if mapped[0] is None or mapped[1] is None or mapped[1] - mapped[0] != last - first:
            return None
        return mapped[0], mapped[1]


def touches(spans: Sequence[Span], first: int, last: int) -> bool:
    """Whether lines ``first``..``last`` meet one of the sorted ``spans``."""
    return any(a <= last and first <= b for a, b in spans)
