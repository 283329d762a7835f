"""changed-lines-only's pure parts: diffs read into edits, the lines findings are judged
against, the line map to the PR head, and the findings filter."""

from __future__ import annotations

from shipyard.findings.model import Finding, keep, on_lines
from shipyard.lint import lines
from shipyard.lint.lines import FileChanges, PullDiff

GIT_DIFF = """\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -3,0 +4,2 @@ def f():
+    added = 1
+    more = 2
@@ -10 +12 @@ x = 1
-old
+new
@@ -20,2 +21,0 @@
-gone
-gone too
diff --git a/new.py b/new.py
new file mode 100644
--- /dev/null
+++ b/new.py
@@ -0,0 +1,2 @@
+a = 1
+b = 2
diff --git a/dead.py b/dead.py
deleted file mode 100644
--- a/dead.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
diff --git a/old name.py b/moved name.py
similarity index 100%
rename from old name.py
rename to moved name.py
diff --git "a/tab\\there.py" "b/tab\\there.py"
--- "a/tab\\there.py"
+++ "b/tab\\there.py"
@@ -1 +1 @@
-+++ not a header
++++ still not a header
"""


def test_git_zero_context_diff_is_read_into_edits_per_new_path() -> None:
    files = lines.read_diff(GIT_DIFF)
    assert sorted(files) == ["app.py", "moved name.py", "new.py", "tab\there.py"]
    app = files["app.py"]
    assert app.edits == ((3, 0, 4, 2), (10, 1, 12, 1), (20, 2, 21, 0))
    assert app.added() == [(4, 5), (12, 12)]
    # a removal touches the lines on both sides of the gap, for formatters only
    assert app.spans(formatter=False) == [(4, 5), (12, 12)]
    assert app.spans(formatter=True) == [(4, 5), (12, 12), (21, 22)]
    assert files["new.py"].added() == [(1, 2)]
    assert files["moved name.py"].edits == ()  # renamed without a change: nothing is new
    assert files["tab\there.py"].added() == [(1, 1)]


def test_hunks_with_context_are_githubs_and_lines_map_back() -> None:
    app = lines.with_context(lines.read_diff(GIT_DIFF)["app.py"])
    # 4-5 and 12 have 6 lines between them: one hunk (git joins hunks whose context meets);
    # 9 lines before the removal after line 21: a hunk of its own, 3 lines on either side
    assert app.hunks == ((1, 15), (19, 24))
    spread = lines.with_context(FileChanges(((3, 0, 4, 1), (30, 1, 31, 1))))
    assert spread.hunks == ((1, 7), (28, 34))
    assert spread.hunk_of(5, 7) == (1, 7) and spread.hunk_of(7, 28) is None
    # new-side lines to old-side ones: shifted past an edit, None inside one
    edits = FileChanges(((3, 0, 4, 2), (10, 1, 12, 1), (20, 2, 21, 0)))
    mapped = [edits.old_line(n) for n in (3, 4, 5, 6, 11, 12, 13, 20, 21, 22)]
    assert mapped == [3, None, None, 4, 9, None, 11, 18, 19, 22]


def test_api_patches_give_edits_and_hunks_and_no_patch_means_every_line() -> None:
    patch = "@@ -1,4 +1,5 @@\n a\n-b\n+B\n+C\n c\n d\n\\ No newline at end of file"
    items = [
        {"filename": "sub/app.py", "status": "modified", "patch": patch},
        {"filename": "sub/big.py", "status": "modified"},
        {"filename": "sub/gone.py", "status": "removed", "patch": "@@ -1 +0,0 @@\n-x"},
        {"filename": "elsewhere.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+x"},
    ]
    found = lines.from_api_files(items, "sub")
    assert sorted(found) == ["app.py", "big.py"]
    assert found["app.py"].edits == ((2, 1, 2, 2),) and found["app.py"].hunks == ((1, 5),)
    assert found["big.py"].whole and found["big.py"].added() == [lines.EVERY_LINE]


def _finding(file: str | None, line: int | None, end: int | None = None) -> Finding:
    return Finding("flake8", "E1", "error", f"at {line}", file=file, line=line, end_line=end)


def test_on_lines_keeps_the_findings_that_touch_a_changed_line() -> None:
    spans = {"a.py": [(4, 5), (12, 12)], "b.py": [lines.EVERY_LINE]}
    findings = [
        _finding("a.py", 3),  # before
        _finding("a.py", 5),  # on an added line
        _finding("a.py", 8, 12),  # a span that reaches a changed line
        _finding("a.py", 6, 11),  # between the spans
        _finding("a.py", 13),
        _finding("b.py", 900),  # a file without a patch: every line
        _finding("c.py", 1),  # an unchanged file
        _finding("a.py", None),  # a changed file, no line: cannot be placed closer
        _finding("c.py", None),
        _finding(None, None),  # no file at all (a configuration error)
    ]
    kept = keep(findings, on_lines(spans))
    assert [(f.file, f.line) for f in kept] == [
        ("a.py", 5),
        ("a.py", 8),
        ("b.py", 900),
        ("a.py", None),
        (None, None),
    ]
    assert keep(findings[-1:], on_lines(spans, unplaced=False)) == []


def test_pull_diff_maps_the_linted_lines_to_the_heads() -> None:
    review = {"a.py": lines.with_context(FileChanges(((3, 0, 4, 2),)))}
    # the linted file (a merge commit) has two lines more than the head at its top
    to_head = {"a.py": FileChanges(((0, 0, 1, 2),))}
    diff = PullDiff(7, "abc", "git", review, review, to_head)
    assert diff.head_lines("a.py", 6, 7) == (4, 5)
    assert diff.head_lines("a.py", 1, 3) is None  # lines the head does not have
    assert diff.head_lines("b.py", 6, 7) == (6, 7)
    assert PullDiff(7, "abc", "git", review, review).head_lines("a.py", 6, 7) == (6, 7)
