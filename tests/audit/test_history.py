"""secrets-history against a hostile history (real git, real trivy): the tree is made from
git's objects, never from `git log -p` text; nothing is written outside it; it is private
while it exists and gone after the run; real secrets in the history are still found."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from shipyard.audit.scanners import history
from tests.audit.conftest import RunAudit, report_of, sarif_of
from tests.audit.sample import Sample, aws_key_id, make_sample


def secrets_at(result: Any) -> list[tuple[str, int | None]]:
    found = []
    for run in sarif_of(result)["runs"]:  # type: ignore[attr-defined]
        for item in run["results"]:
            if item["ruleId"] == "secret:aws-access-key-id":
                physical = item["locations"][0]["physicalLocation"]
                found.append(
                    (
                        physical["artifactLocation"]["uri"],
                        physical.get("region", {}).get("startLine"),
                    )
                )
    return sorted(found)


def commit_all(sample: Sample, message: str) -> None:
    sample.git("add", "-A")
    sample.git("commit", "-q", "-m", message)


def test_diff_text_cannot_name_a_file_outside_the_tree(tmp_path: Path, run_audit: RunAudit) -> None:
    """An added line `++ b/../../<path>` shows in `git log -p` as a `+++ b/` file header;
    the old parser wrote the lines after it to that path (a .pth file in the action's venv ran
    code). Now the line is content, scanned like any other."""
    sample = make_sample(tmp_path / "repo")
    target = tmp_path / "outside" / "zz.pth"
    target.parent.mkdir()
    escape = "../" * 40 + str(target).lstrip("/")
    sample.write("notes.txt", f"++ b/{escape}\nimport os; os.system('touch /tmp/owned')\n")
    commit_all(sample, "notes")
    # A modified file: only the line this commit adds counts, at its line number.
    late_key = aws_key_id(11)
    sample.write("notes.txt", f"++ b/{escape}\nkey = {late_key}\nimport os\n")
    commit_all(sample, "a key in the notes")
    sample.write("notes.txt", f"++ b/{escape}\nimport os\n")
    commit_all(sample, "the key out of the notes again")

    result = run_audit(sample.root, scanners="secrets", secrets_history="true")

    assert not target.exists()
    assert [p for p in tmp_path.rglob("zz.pth")] == []
    assert result.code == 1, result.log[-2000:]
    found = secrets_at(result)
    old = [(uri, line) for uri, line in found if uri.startswith("old/creds.ini (commit ")]
    assert [line for _uri, line in old] == [2]  # the key committed once and removed since
    notes = [(uri, line) for uri, line in found if uri.startswith("notes.txt (commit ")]
    assert [line for _uri, line in notes] == [2]
    assert late_key not in result.visible


def test_history_paths_with_dot_dot_are_refused(tmp_path: Path, run_audit: RunAudit) -> None:
    """git's objects can hold any name: a tree entry `..` (made with `git mktree`, as a
    hostile repository can) nested four deep names a file four folders above the commit's
    folder of the old tree, i.e. beside RUNNER_TEMP. It is refused and said so."""
    sample = make_sample(tmp_path / "repo")
    key = aws_key_id(12)
    blob = sample.git("hash-object", "-w", "--stdin", input=f"key = {key}\n").strip()
    entry = sample.git("mktree", input=f"100644 blob {blob}\tzz.pth\n").strip()
    for _ in range(4):
        entry = sample.git("mktree", input=f"040000 tree {entry}\t..\n").strip()
    head = sample.git("rev-parse", "HEAD").strip()
    evil = sample.git("commit-tree", entry, "-p", head, "-m", "dot dot").strip()
    sample.git("update-ref", "refs/heads/evil", evil)
    assert "../../../../zz.pth" in sample.git("log", "--all", "-p", "--format=")

    result = run_audit(sample.root, scanners="secrets", secrets_history="true")

    assert [p for p in tmp_path.rglob("zz.pth")] == []
    warnings = report_of(result)["warnings"]
    assert any(
        "1 path(s) in the history lead out" in w and "../../../../zz.pth (commit " in w
        for w in warnings
    ), warnings
    assert result.code == 1  # the sample's other secrets still gate


def test_history_tree_is_removed_after_the_run(tmp_path: Path, run_audit: RunAudit) -> None:
    """The tree holds every secret ever committed: nothing of it is left in RUNNER_TEMP after
    the run (only the SARIF file)."""
    sample = make_sample(tmp_path / "repo")
    result = run_audit(sample.root, scanners="secrets", secrets_history="true")
    assert result.code == 1
    runner_temp = Path(result.outputs["sarif-file"]).parents[1]
    left = sorted(p.relative_to(runner_temp).as_posix() for p in runner_temp.rglob("*"))
    assert left == ["shipyard-audit", "shipyard-audit/shipyard-audit.sarif"]


def test_history_tree_is_private(tmp_path: Path) -> None:
    """While it exists: 0700 folders and 0600 files."""
    sample = make_sample(tmp_path / "repo")
    tree = tmp_path / "tree"
    tree.mkdir(mode=0o700)
    layout = history.lay_out(sample.root, tree, dict(os.environ), 60)
    written = list(tree.rglob("*"))
    assert written and any(v.startswith("old/creds.ini (commit ") for v in layout.origins.values())
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_write_inside_refuses_a_link_out_of_the_tree(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir(mode=0o700)
    outside.mkdir()
    (tree / "c1").symlink_to(outside)
    assert not history.write_inside(tree, ("c1", "x.txt"), {1: b"secret"})
    assert list(outside.iterdir()) == []
    assert history.write_inside(tree, ("c2", "sub", "x.txt"), {2: b"line two"})
    assert (tree / "c2" / "sub" / "x.txt").read_bytes() == b"\nline two\n"
    assert not history.write_inside(tree, ("c2", "sub", "x.txt"), {1: b"again"})  # O_EXCL


def test_safe_parts_and_changes() -> None:
    assert history.safe_parts(b"a/b c/d.txt") == ("a", "b c", "d.txt")
    for bad in (b"../x", b"a/../../x", b"/etc/passwd", b"a//b", b"./a", b"a/.", b""):
        assert history.safe_parts(bad) is None, bad
    commit = "a" * 40
    raw = b"\0".join(
        [
            commit.encode(),
            b":000000 100644 " + b"0" * 40 + b" " + b"1" * 40 + b" A",
            b"+++ b/../../evil",  # a path is a path, whatever it reads like
            b":100644 100644 " + b"2" * 40 + b" " + b"3" * 40 + b" M",
            b"m.txt",
            b":000000 120000 " + b"0" * 40 + b" " + b"4" * 40 + b" A",
            b"link",
            b":100644 000000 " + b"5" * 40 + b" " + b"0" * 40 + b" D",
            b"gone.txt",
            b"",
        ]
    )
    assert list(history.changes(raw)) == [
        history.Change(commit, b"+++ b/../../evil", None, "1" * 40),
        history.Change(commit, b"m.txt", "2" * 40, "3" * 40),
    ]
    assert history.added_lines(b"a\nb\nc\n", b"a\nNEW\nb\nc\nEND\n") == {2: b"NEW", 5: b"END"}
    assert history.added_lines(None, b"x\ny") == {1: b"x", 2: b"y"}
