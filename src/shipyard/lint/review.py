"""The review a lint run posts on a pull request (pure): which findings get a comment and where,
the comments' bodies, and which comments an earlier run already posted.

A comment goes on a line of the PR head that the pull request adds or changes, within the
hunks of its diff (GitHub refuses any other line with a 422). Each body ends with a hidden
marker holding the finding's fingerprint and a hash of its line's text, so that a re-run
posts only what is new (a finding with the same fingerprint on a line with the same text is
the same finding, even when lines moved).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.findings.model import LEVEL_RANK, Finding, Level, LineText, fingerprint_of
from shipyard.runtime.summary import fence

from .lines import FileChanges, PullDiff, touches

#: At most this many comments per run. A review is one notification, but one with hundreds
#: of comments buries the conversation, makes GitHub's review page slow, and large reviews
#: have been seen to time out; the annotations, the summary and the SARIF carry every finding.
#: Those left out are counted, and posted by a later run once they are the first 50.
MAX_COMMENTS = 50
#: A message longer than this is cut (GitHub's limit for a whole body is 65,536 characters).
MAX_MESSAGE = 4000
#: A suggestion longer than this is left out (the comment keeps the formatter's diff).
MAX_SUGGESTION = 40000
MARKER = "<!-- shipyard-lint fingerprint={fingerprint} line={line} -->"
MARKER_PATTERN = re.compile(
    r"^<!-- shipyard-lint fingerprint=(?P<fingerprint>[0-9a-f]{8,64}) "
    r"line=(?P<line>[0-9a-f]{8,64}) -->$"
)
REVIEW_MARKER = "<!-- shipyard-lint review -->"
#: Characters kept in a rule id shown in a comment (ids are like E501, W0611, SC2086, DL3008).
RULE_CHARS = re.compile(r"[^A-Za-z0-9_.:/+-]")
SAFE_URL = re.compile(r"https://[A-Za-z0-9._~:/?#!$&'*+,;=%-]+")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Comment:
    """One review comment: a file of the repository, the line (and first line of a range) of
    the PR head, its body, and the key its marker holds."""

    path: str
    line: int
    body: str
    key: str
    start_line: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The comment as ``POST .../pulls/{n}/reviews`` takes it (lines of the new side)."""
        data: dict[str, Any] = {"path": self.path, "line": self.line, "side": "RIGHT"}
        if self.start_line is not None:
            data.update(start_line=self.start_line, start_side="RIGHT")
        data["body"] = self.body
        return data


@dataclass(frozen=True)
class ReviewPlan:
    """The comments to post, and the reported findings that get none: outside the lines the
    pull request changes (or its diff), already commented on by an earlier run, or over the
    cap."""

    comments: tuple[Comment, ...] = ()
    outside: int = 0
    already: int = 0
    capped: int = 0

    def body(self) -> str:
        """The review's own text."""
        lines = [
            f"**shipyard lint**: {len(self.comments)} new comments on lines this pull "
            "request changes."
        ]
        if self.already:
            lines.append(f"- {self.already} findings already have a comment from an earlier run.")
        if self.capped:
            lines.append(
                f"- {self.capped} more findings get no comment (at most {MAX_COMMENTS} per run); "
                "every finding is in the job summary and the SARIF file."
            )
        if self.outside:
            lines.append(
                f"- {self.outside} findings are outside the lines this pull request changes: "
                "see the job summary."
            )
        return "\n".join([*lines, "", REVIEW_MARKER])


def key_of(finding: Finding, line_text: LineText) -> str:
    """What identifies a finding across runs: its fingerprint and a hash of its line's text."""
    text = line_text(finding.file or "", finding.line)
    return f"{finding.fingerprint} {fingerprint_of('line', text)[:12]}"


def posted(comments: Iterable[Mapping[str, Any]], login: str | None) -> Counter[str]:
    """The keys of the comments an earlier run posted: by ``login`` (any author when it is
    unknown), whose body ends with our marker. Resolved and outdated ones count too."""
    keys: Counter[str] = Counter()
    for comment in comments:
        user = comment.get("user")
        author = user.get("login") if isinstance(user, Mapping) else None
        if login is not None and str(author or "").lower() != login.lower():
            continue
        body = comment.get("body")
        last = body.rstrip().rsplit("\n", 1)[-1].strip() if isinstance(body, str) else ""
        match = MARKER_PATTERN.match(last)
        if match:
            keys[f"{match['fingerprint']} {match['line']}"] += 1
    return keys


def suggestion(text: str) -> str:
    """A suggestion block that replaces the commented lines by exactly ``text`` (every line
    kept, blank ones at the end too; empty: the lines are deleted), its fence longer than
    any run of backticks inside."""
    runs = [len(run) for run in re.findall(r"`+", text)]
    marks = "`" * max(3, max(runs, default=0) + 1)
    return f"{marks}suggestion\n{text}\n{marks}" if text else f"{marks}suggestion\n{marks}"


def clean(text: str, limit: int) -> str:
    """Tool output made safe to put in a code block: no control characters, cut at ``limit``."""
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text if len(text) <= limit else text[:limit] + "\n... (cut)"


def body_of(finding: Finding, level: Level, key: str, *, suggest: bool) -> str:
    """A comment's Markdown: the level, tool and rule (the rule stripped to id characters), a
    link to the rule's documentation when it is a plain https URL, the message in a fenced
    code block (its fence longer than any backtick run inside, so nothing in it is read as
    Markdown or HTML: no mention, image, link or tag), the suggestion block (``suggest``,
    unless the text holds control characters), and the marker."""
    rule = RULE_CHARS.sub("", finding.rule)[:80] or "finding"
    head = f"**{level}** `{finding.tool} {rule}`"
    if finding.help_url and SAFE_URL.fullmatch(finding.help_url):
        head += f" ([docs]({finding.help_url}))"
    parts = [head, fence(clean(finding.message, MAX_MESSAGE), "text")]
    if suggest and finding.replacement is not None and not CONTROL.search(finding.replacement):
        parts.append(suggestion(finding.replacement))
    fingerprint, line = key.split(" ")
    parts.append(MARKER.format(fingerprint=fingerprint, line=line))
    return "\n\n".join(parts)


def _first_commentable(
    changes: FileChanges, spans: Sequence[tuple[int, int]], first: int, last: int
) -> int | None:
    """The first line of ``first``..``last`` that the pull request changed, within a hunk."""
    for low, high in spans:
        line = max(low, first)
        if line <= min(high, last) and changes.hunk_of(line, line):
            return line
    return None


@dataclass(frozen=True)
class Placement:
    """Where a comment goes in the PR head: ``line`` (and ``start`` of a range), and whether
    it covers exactly the finding's lines (only then can a suggestion replace them)."""

    line: int
    start: int | None = None
    exact: bool = False


def place(finding: Finding, diff: PullDiff, *, formatter: bool) -> Placement | None:
    """Where a finding's comment goes; None when it is not on a line the pull request
    changes, within its diff. A formatter's comment spans the lines it would change when
    they lie in one hunk; any other comment sits on one line (the finding's first, else its
    first changed one)."""
    if finding.file is None or finding.line is None:
        return None
    lines = diff.head_lines(finding.file, finding.line, finding.end_line or finding.line)
    changes = diff.review.get(finding.file)
    if lines is None or changes is None:
        return None
    first, last = lines
    spans = changes.spans(formatter=formatter)
    if not touches(spans, first, last):
        return None
    if formatter and changes.hunk_of(first, last):
        return Placement(last, first if last > first else None, exact=True)
    if changes.hunk_of(first, first) and touches(spans, first, first):
        return Placement(first)
    line = _first_commentable(changes, spans, first, last)
    return Placement(line) if line is not None else None


def plan(
    findings: Sequence[tuple[Finding, Level]],
    diff: PullDiff,
    *,
    suggestions: bool,
    prefix: str,
    line_text: LineText,
    earlier: Counter[str],
    formatters: Collection[str],
    cap: int = MAX_COMMENTS,
) -> ReviewPlan:
    """The comments for ``findings`` (each with the level it is shown at): most severe first,
    those an earlier run posted (``earlier``, as :func:`posted` reads them) left out, at most
    ``cap``. With ``suggestions``, a formatter's comment on exactly the lines it would change
    carries a suggestion block."""
    left = Counter(earlier)
    outside = already = 0
    comments: list[Comment] = []
    ordered = sorted(findings, key=lambda item: (LEVEL_RANK[item[1]], item[0].sort_key()))
    for finding, level in ordered:
        formatter = finding.tool in formatters
        where = place(finding, diff, formatter=formatter)
        if where is None:
            outside += 1
            continue
        key = key_of(finding, line_text)
        if left[key] > 0:
            left[key] -= 1
            already += 1
            continue
        suggest = (
            suggestions
            and where.exact
            and finding.replacement is not None
            and len(finding.replacement) <= MAX_SUGGESTION
        )
        body = body_of(finding, level, key, suggest=suggest)
        file = finding.file or ""
        path = f"{prefix.rstrip('/')}/{file}" if prefix not in ("", ".") else file
        comments.append(Comment(path, where.line, body, key, where.start))
    return ReviewPlan(tuple(comments[:cap]), outside, already, max(len(comments) - cap, 0))
