"""File kinds (one answer for lint and audit), the one walker, relative paths, source lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipyard.findings.files import SourceLines, sizes, walk
from shipyard.findings.kinds import compose_file, dockerfile, relative, under


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Dockerfile", True),
        ("deploy/Dockerfile.prod", True),
        ("Containerfile", True),
        ("Containerfile.dev", True),  # audit's old detector missed it
        ("app.containerfile", True),  # and this
        ("web.Dockerfile", True),
        ("web.DOCKERFILE", True),  # and this (its patterns were case-sensitive)
        ("Dockerfile-old", False),
        ("docs/dockerfile.md", False),
    ],
)
def test_dockerfiles(path: str, expected: bool) -> None:
    assert dockerfile(path) is expected


def test_compose_files() -> None:
    assert [
        p for p in ("compose.yaml", "a/docker-compose.prod.yml", "x.yml") if compose_file(p)
    ] == [
        "compose.yaml",
        "a/docker-compose.prod.yml",
    ]


def test_walk_skips_folders_and_sets_links_out_apart(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    for rel in ("a.py", "sub/b.py", ".git/config", "sub/node_modules/x.js", "build/out/c.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")
    elsewhere.mkdir()
    (elsewhere / "secret").write_text("s")
    os.symlink(elsewhere / "secret", root / "sub" / "link")
    os.symlink(root / "a.py", root / "inner-link")
    tree = walk(root)
    assert tree.files == ["a.py", "inner-link", "build/out/c.py", "sub/b.py"]
    assert tree.outside == ["sub/link"]
    assert tree.without(["build/out"]).files == ["a.py", "inner-link", "sub/b.py"]
    assert tree.without(["sub"]).outside == []
    assert under("a/b/c.py", {"b"}) and under("a/b/c.py", {"a/b"}) and not under("a/b", {"b"})


def test_relative() -> None:
    assert relative("/r/app/x.py", "/r") == "app/x.py"
    assert relative("/r/app/x.py", Path("/r/")) == "app/x.py"
    assert relative("././app/x.py", "/r") == "app/x.py"
    assert relative("app\\x.py", "/r") == "app/x.py"
    assert relative("/elsewhere/x.py", "/r") == "/elsewhere/x.py"
    assert relative("/rx/y.py", "/r") == "/rx/y.py"


def test_source_lines_never_read_outside(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.txt").write_text("one\n  two  \n")
    (tmp_path / "secret.txt").write_text("password\n")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    lines = SourceLines(root)
    assert [lines.text("a.txt", n) for n in (1, 2, 3, None)] == ["one", "two", "", ""]
    assert lines.text("link.txt", 1) == ""
    assert sizes(root, ["a.txt", "gone.txt"]) == {"a.txt": 12}
