"""review's pure parts: where a comment goes, what its body holds (and cannot hold), which
comments an earlier run posted, the cap."""

from __future__ import annotations

import re
from collections import Counter

from shipyard.findings.model import Finding
from shipyard.lint import review
from shipyard.lint.lines import FileChanges, PullDiff, with_context

# app.py: line 4 added, lines 10-11 changed; 30 far away, unchanged
CHANGES = {"app.py": with_context(FileChanges(((3, 0, 4, 1), (9, 2, 10, 2))))}
DIFF = PullDiff(7, "f" * 40, "git", CHANGES, CHANGES)
FORMATTERS = ("black", "isort", "ruff-format")


def _text(file: str, line: int | None) -> str:
    return f"text of {file}:{line}"


def _plan(findings: list[Finding], **kw: object) -> review.ReviewPlan:
    args: dict[str, object] = {
        "suggestions": True,
        "prefix": "",
        "line_text": _text,
        "earlier": Counter(),
        "formatters": FORMATTERS,
    }
    args.update(kw)
    return review.plan([(f, f.level) for f in findings], DIFF, **args)  # type: ignore[arg-type]


def test_comments_go_on_changed_lines_only_and_formatters_span_their_hunk() -> None:
    flake = Finding("flake8", "F821", "error", "undefined name 'x'", file="app.py", line=4)
    wide = Finding("mypy", "misc", "error", "spans", file="app.py", line=2, end_line=11)
    old = Finding("flake8", "E501", "error", "line too long", file="app.py", line=30)
    black = Finding(
        "black",
        "format",
        "error",
        "black would reformat",
        file="app.py",
        line=9,
        end_line=11,
        replacement="a = 1\nb = 2",
    )
    plan = _plan([old, flake, wide, black])
    where = [(c.path, c.start_line, c.line) for c in plan.comments]
    # by level then position: wide (line 2, placed on its first changed line), flake, black
    assert where == [("app.py", None, 4), ("app.py", None, 4), ("app.py", 9, 11)]
    assert plan.outside == 1  # line 30 is not a line this pull request changes
    assert "```suggestion\na = 1\nb = 2\n```" in plan.comments[2].body
    assert "suggestion" not in plan.comments[0].body
    assert [c.as_json()["side"] for c in plan.comments] == ["RIGHT"] * 3
    assert plan.comments[2].as_json()["start_side"] == "RIGHT"


def test_no_suggestion_unless_asked_or_when_the_comment_cannot_cover_the_hunk() -> None:
    black = Finding("black", "format", "error", "m", file="app.py", line=10, replacement="")
    assert "suggestion" not in _plan([black], suggestions=False).comments[0].body
    # an empty replacement deletes the lines: an empty suggestion block, not a blank line
    assert "```suggestion\n```" in _plan([black]).comments[0].body
    spread = Finding(
        "black", "format", "error", "m", file="app.py", line=10, end_line=30, replacement="x"
    )
    comment = _plan([spread]).comments[0]
    assert (comment.start_line, comment.line) == (None, 10) and "suggestion" not in comment.body


def test_a_body_cannot_mention_embed_or_close_its_code_block() -> None:
    message = "@octocat see ![x](https://evil.test/p.png) <img src=x> ```\n``` @org/team"
    finding = Finding(
        "pylint",
        "C0301<b>@x",
        "warning",
        message,
        file="app.py",
        line=4,
        help_url="javascript:alert(1)",
    )
    body = _plan([finding]).comments[0].body
    head, block, marker = body.split("\n\n")
    assert head == "**warning** `pylint C0301bx`"  # the rule stripped to id characters
    fence = block.splitlines()[0]
    assert fence == "````text" and block.endswith("\n````")  # longer than any run inside
    assert message in block
    assert re.fullmatch(review.MARKER_PATTERN, marker)
    linked = Finding(
        "flake8", "E1", "error", "m", file="app.py", line=4, help_url="https://x.test/E1"
    )
    assert "([docs](https://x.test/E1))" in _plan([linked]).comments[0].body


def test_a_rerun_posts_only_what_is_new_counting_duplicates() -> None:
    # the same finding on two lines with the same text: one key, counted twice
    twice = [
        Finding("flake8", "E501", "error", "too long", file="app.py", line=10),
        Finding("flake8", "E501", "error", "too long", file="app.py", line=11),
    ]
    same = {"line_text": lambda file, line: "x = 1"}
    first = _plan(twice, **same)
    assert first.comments[0].key == first.comments[1].key
    assert len(first.comments) == 2
    ours = [{"user": {"login": "lint-bot"}, "body": c.body} for c in first.comments[:1]]
    forged = {"user": {"login": "mallory"}, "body": first.comments[1].body}
    earlier = review.posted([*ours, forged], "LINT-BOT")
    assert sum(earlier.values()) == 1  # mallory's copy of our marker does not count
    again = _plan(twice, earlier=earlier, **same)
    assert again.already == 1 and [c.line for c in again.comments] == [11]
    # a marker quoted inside a message (not the body's last line) is not ours either
    quoted = {"user": {"login": "lint-bot"}, "body": first.comments[1].body + "\n\nthanks"}
    assert not review.posted([quoted], "lint-bot")


def test_at_most_the_cap_most_severe_first() -> None:
    findings = [
        Finding("flake8", f"W{n}", "warning", "w", file="app.py", line=4) for n in range(5)
    ] + [Finding("flake8", "E1", "error", "e", file="app.py", line=10)]
    plan = _plan(findings, cap=3)
    assert len(plan.comments) == 3 and plan.capped == 3
    assert plan.comments[0].body.startswith("**error**")
    assert "3 more findings get no comment" in plan.body()
    assert plan.body().endswith(review.REVIEW_MARKER)
