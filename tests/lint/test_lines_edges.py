"""The edges of changed-lines-only's line arithmetic (pure, and real git's diffs of odd
files): the line counters of a hunk, hunks without counts, removals at the top of a file,
spans that meet or do not, names git prints oddly, the files API's entries, the line map to
the PR head, and the findings filter at its boundaries."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from shipyard.findings.model import Finding, in_files, keep, on_lines
from shipyard.lint import lines, pull
from shipyard.lint.lines import FileChanges, PullDiff
from shipyard.lint.plan import on_changed_lines
from shipyard.lint.repo import Repo
from shipyard.runtime import Runner
from tests.lint._sample import git

# ---------------------------------------------------------------- hunks, read line by line


def test_each_run_starts_where_the_lines_before_it_left_the_counters() -> None:
    """Removed lines move the old counter only, added lines the new one, context both."""
    patch = "@@ -10,8 +20,7 @@\n a\n-b\n-c\n d\n+e\n f\n-g\n+h\n+i\n j\n-k"
    found = lines.read_patch(patch)
    assert found.edits == ((11, 2, 20, 0), (13, 0, 22, 1), (15, 1, 24, 2), (17, 1, 26, 0))
    assert found.hunks == ((20, 26),)


def test_an_empty_line_is_a_context_line_whose_space_was_stripped() -> None:
    found = lines.read_patch("@@ -1,4 +1,4 @@\n-a\n+A\n\n\n-d\n+D")
    assert found.edits == ((1, 1, 1, 1), (4, 1, 4, 1))


def test_a_hunk_without_counts_is_one_line() -> None:
    found = lines.read_patch("@@ -7 +9 @@\n-x\n+y")
    assert found.edits == ((7, 1, 9, 1),) and found.hunks == ((9, 9),)
    assert lines.read_patch("@@ -7,0 +8 @@\n+y").hunks == ((8, 8),)


def test_no_newline_markers_change_nothing() -> None:
    patch = (
        "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n\\ No newline at end of file"
    )
    assert lines.read_patch(patch).edits == ((2, 1, 2, 1),)


def test_removals_at_the_top_touch_line_one() -> None:
    top = FileChanges(((1, 2, 0, 0),))
    assert top.around_removals() == [(1, 1)]
    assert top.spans(formatter=True) == [(1, 1)] and top.spans(formatter=False) == []
    assert FileChanges(((2, 1, 1, 0),)).around_removals() == [(1, 2)]


@pytest.mark.parametrize(
    ("spans", "merged"),
    [
        ([(4, 5), (1, 2)], [(1, 2), (4, 5)]),  # a line between: two spans
        ([(1, 2), (3, 4)], [(1, 4)]),  # adjacent: one
        ([(1, 9), (3, 4)], [(1, 9)]),  # within
        ([(5, 6), (1, 5)], [(1, 6)]),  # overlapping
        ([], []),
    ],
)
def test_merge(spans: list[tuple[int, int]], merged: list[tuple[int, int]]) -> None:
    assert lines.merge(spans) == merged


def test_a_hunk_holds_lines_from_its_first_to_its_last() -> None:
    changes = FileChanges(((5, 0, 6, 1),), hunks=((3, 9), (20, 22)))
    assert changes.hunk_of(3, 9) == (3, 9) and changes.hunk_of(20, 20) == (20, 22)
    assert changes.hunk_of(2, 3) is None and changes.hunk_of(9, 10) is None


def test_context_keeps_the_edits_and_is_not_a_whole_file() -> None:
    changes = FileChanges(((5, 0, 6, 1), (40, 1, 41, 0)))
    assert lines.with_context(changes) == FileChanges(changes.edits, ((3, 9), (39, 44)))
    assert lines.with_context(changes, context=0) == FileChanges(changes.edits, ((6, 6), (42, 41)))
    whole = FileChanges(whole=True)
    assert lines.with_context(whole) is whole


# ---------------------------------------------------------------- git's diff headers


def _repo(tmp_path: Path) -> tuple[Repo, Path]:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return Repo(root, Runner(env=dict(os.environ), stream=io.StringIO())), root


def test_files_without_hunks_are_named_by_the_diff_header_when_it_is_plain(
    tmp_path: Path,
) -> None:
    """An empty new file, a mode change and a rename without a change have no +++ line: the
    name comes from `diff --git a/x b/x`, when it is unambiguous (no space, no quotes); a
    name with a no-break space is plain. A file deleted last is left out."""
    repo, root = _repo(tmp_path)
    (root / "mode.py").write_text("m = 1\n")
    (root / "old.py").write_text("o = 1\n")
    (root / "z_gone.py").write_text("z = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    base = git(root, "rev-parse", "HEAD")
    for name in ("empty.py", "no\u00a0break.py", "sp ace.py", "tab\there.py"):
        (root / name).write_text("")
    (root / "mode.py").chmod(0o755)
    git(root, "mv", "old.py", "new.py")
    git(root, "rm", "-q", "z_gone.py")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "head")
    found = pull.diff_of(repo, base, "HEAD")
    assert found == {
        "empty.py": FileChanges(),
        "mode.py": FileChanges(),
        "new.py": FileChanges(),
        "no\u00a0break.py": FileChanges(),
    }


def test_a_name_with_a_space_comes_from_the_plus_line_without_gits_tab(tmp_path: Path) -> None:
    repo, root = _repo(tmp_path)
    (root / "sp ace.py").write_text("a = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "sp ace.py").write_text("a = 2\n")
    assert pull.diff_of(repo, "HEAD") == {"sp ace.py": FileChanges(((1, 1, 1, 1),), ((1, 1),))}


def test_lines_before_any_file_header_are_no_file() -> None:
    assert lines.read_diff("@@ -1 +1 @@\n-a\n+b\n+++ b/x.py\n") == {}
    assert lines.read_diff("") == {}


def test_a_deleted_last_file_is_left_out() -> None:
    text = (
        "diff --git a/k.py b/k.py\n--- a/k.py\n+++ b/k.py\n@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/d.py b/d.py\ndeleted file mode 100644\n--- a/d.py\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-x\n"
    )
    assert lines.read_diff(text) == {"k.py": FileChanges(((1, 1, 1, 1),), ((1, 1),))}


@pytest.mark.parametrize(
    ("shown", "name"),
    [
        ('"tab\\there.py"', "tab\there.py"),
        ('"a\\001b"', "a\x01b"),  # a control character: octal
        ('"\\303\\251t\\303\\251.py"', "\u00e9t\u00e9.py"),  # UTF-8 bytes in octal
        ('"a\\"b\\\\c"', 'a"b\\c'),  # a quote and a backslash
        ('"a\\t"', "a\t"),  # an escape at the end
        ('"\\q"', "q"),  # an escape git does not write: the character
        ('"a\\Xb"', "aXb"),
        ('"end\\"', "end\\"),  # a lone backslash at the end stays
        ('"\\377x"', "\ufffdx"),  # not UTF-8: replaced, never an error
        ('""', ""),
        ('"', '"'),
        ("plain.py", "plain.py"),
        ('"open.py', '"open.py'),
    ],
)
def test_names_git_quotes(shown: str, name: str) -> None:
    assert lines._unquote(shown) == name


# ---------------------------------------------------------------- the files API's patches


ENTRIES = [
    {"filename": "app/gone.py", "status": "removed", "patch": "@@ -1 +0,0 @@\n-x"},
    {"filename": "app/a.py", "patch": "@@ -1 +1,2 @@\n a\n+b"},
    {"filename": "app/empty.py", "patch": ""},
    {"filename": "app/odd.py", "patch": 7},
    {"filename": "application/b.py", "patch": "@@ -0,0 +1 @@\n+b"},
    {"patch": "@@ -0,0 +1 @@\n+b"},
]
A_PY = FileChanges(((1, 0, 2, 1),), ((1, 2),))
WHOLE = FileChanges(whole=True)


@pytest.mark.parametrize("prefix", ["app", "app/"])
def test_api_files_under_the_linted_folder(prefix: str) -> None:
    found = lines.from_api_files(ENTRIES, prefix)
    assert found == {"a.py": A_PY, "empty.py": WHOLE, "odd.py": WHOLE}
    saxophone = [{"filename": "SAX/a.py", "patch": "@@ -1 +1,2 @@\n a\n+b"}]
    assert lines.from_api_files(saxophone, "SAX") == {"a.py": A_PY}  # a name ending in X


def test_api_files_at_the_root() -> None:
    found = lines.from_api_files(ENTRIES, "")
    assert found == {
        "app/a.py": A_PY,
        "app/empty.py": WHOLE,
        "app/odd.py": WHOLE,
        "application/b.py": FileChanges(((0, 0, 1, 1),), ((1, 1),)),
    }


# ---------------------------------------------------------------- the PR head's lines


def test_lines_that_the_working_tree_splits_have_no_place_in_the_head() -> None:
    """Head line 2 is not in the linted file: linted 1..3 are head 1 and 3..4, no span."""
    to_head = {"a.py": FileChanges(((2, 1, 1, 0),))}
    diff = PullDiff(7, "abc", "git", {}, {}, to_head)
    assert diff.head_lines("a.py", 1, 1) == (1, 1)
    assert diff.head_lines("a.py", 2, 3) == (3, 4)
    assert diff.head_lines("a.py", 1, 3) is None


def test_spans_per_file_for_linters_and_formatters() -> None:
    changes = {"a.py": FileChanges(((3, 0, 4, 1), (9, 2, 9, 0))), "b.py": FileChanges(whole=True)}
    diff = PullDiff(7, "abc", "git", changes, changes)
    assert diff.spans(formatter=False) == {"a.py": [(4, 4)], "b.py": [lines.EVERY_LINE]}
    assert diff.spans(formatter=True) == {"a.py": [(4, 4), (9, 10)], "b.py": [lines.EVERY_LINE]}


# ---------------------------------------------------------------- the findings filter


def _at(file: str | None, line: int | None, end: int | None = None) -> Finding:
    return Finding(
        "flake8", "E1", "error", f"{file}:{line}-{end}", file=file, line=line, end_line=end
    )


@pytest.mark.parametrize(
    ("line", "end", "kept"),
    [
        (3, None, False),  # the line before the span
        (4, None, True),  # its first line
        (6, None, True),  # its last line
        (7, None, False),  # the line after
        (1, 3, False),  # ends just before
        (1, 4, True),  # ends on its first line
        (7, 9, False),  # starts just after
        (9, 10, True),  # reaches the next span
        (12, 20, False),  # after every span
        (5, 2, True),  # an end before the start counts as the start
    ],
)
def test_on_lines_at_the_boundaries_of_a_span(line: int, end: int | None, kept: bool) -> None:
    spans = {"a.py": [(4, 6), (10, 11)]}
    finding = _at("a.py", line, end)
    assert on_lines(spans)(finding) is kept
    assert on_changed_lines([finding], spans) == (([finding], []) if kept else ([], [finding]))


def test_on_changed_lines_splits_new_and_existing_in_order() -> None:
    spans = {"a.py": [(4, 6)], "b.py": []}
    findings = [_at("a.py", 5), _at("a.py", 1), _at("b.py", 5), _at(None, None), _at("a.py", 6)]
    new, existing = on_changed_lines(findings, spans)
    assert new == [findings[0], findings[3], findings[4]]  # no file: a configuration error
    assert existing == [findings[1], findings[2]]
    assert on_changed_lines([], spans) == ([], [])


def test_unplaced_findings_follow_the_flag() -> None:
    assert on_lines({}, unplaced=False)(_at(None, None)) is False
    assert on_lines({})(_at(None, None)) is True
    assert in_files({"a.py"}, unplaced=False)(_at(None, None)) is False
    assert in_files({"a.py"})(_at(None, None)) is True
    assert in_files({"a.py"})(_at("b.py", 1)) is False
    assert keep(
        [_at("a.py", 1), _at("b.py", 1)], in_files({"a.py"}), on_lines({"a.py": [(1, 1)]})
    ) == [_at("a.py", 1)]
