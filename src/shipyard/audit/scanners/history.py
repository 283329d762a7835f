"""Secrets in the git history: every commit's added lines, laid out for a secret scanner.

The history is content an attacker may have written (a fork's commits), so nothing in it is
read as structure: the paths a commit changed come from `git diff-tree -r -z --raw` (NUL
separated, never quoted, one field after the other), the contents from `git cat-file --batch`
by blob id, and which lines a commit added from comparing its blob with the parent's (difflib),
never from `-p` text. Each path is checked before anything is written: relative, no empty,
`.` or `..` component, written with O_EXCL|O_NOFOLLOW under a private tree whose resolved
parent must still be inside it. A refused path is counted, not written.

One file per (commit, path) holds the lines that commit added, at their line numbers in the
file at that commit (other lines left empty), so the scanner's line numbers are the real ones.
Binary blobs (a NUL in the first 8000 bytes, as git decides), symlinks and submodules are
skipped; merge commits add nothing of their own (as `git log -p` shows them).

git's output is bytes (paths, blobs), so this adapter starts git with `subprocess` rather than
the runtime's text-streaming `run_process`; nothing it reads is printed.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..places import display

#: git's own test for a binary file: a NUL in the first 8000 bytes.
BINARY_PROBE = 8000
#: Blob modes written out: regular files (not symlinks 120000, not submodules 160000).
REGULAR = ("100644", "100755", "100664")
_OID = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class HistoryError(Exception):
    """git could not list the history (not a repository, a timeout)."""


@dataclass(frozen=True)
class Change:
    """One file a commit added or modified (from `git diff-tree --raw -z`)."""

    commit: str
    path: bytes
    old: str | None  # the parent's blob, None when added (or it was not a regular file)
    new: str


def changes(raw: bytes) -> Iterator[Change]:
    """The added and modified regular files of `git diff-tree --stdin -r -z --raw --root
    --no-renames --no-abbrev` output. Fields are taken by position: a commit id, then pairs of
    `:<modes> <ids> <status>` and the path; a path is never read as anything else."""
    fields = raw.split(b"\0")
    commit, i = "", 0
    while i < len(fields):
        item = fields[i]
        if not item.startswith(b":"):
            text = item.decode("ascii", "replace").strip()
            if _OID.match(text):
                commit = text
            i += 1
            continue
        path = fields[i + 1] if i + 1 < len(fields) else b""
        i += 2
        meta = item[1:].decode("ascii", "replace").split()
        if len(meta) != 5 or not commit or not path:
            continue
        old_mode, new_mode, old_id, new_id, status = meta
        if status[:1] not in ("A", "M", "T") or new_mode not in REGULAR:
            continue
        old = old_id if status[:1] == "M" and old_mode in REGULAR else None
        yield Change(commit, path, old, new_id)


def safe_parts(path: bytes) -> tuple[str, ...] | None:
    """The components of a repository path, or None when it could leave the tree: absolute,
    empty, `.` or `..` components, NUL."""
    if not path or path.startswith(b"/") or b"\0" in path:
        return None
    parts = path.split(b"/")
    if any(part in (b"", b".", b"..") for part in parts):
        return None
    return tuple(os.fsdecode(part) for part in parts)


def added_lines(old: bytes | None, new: bytes) -> dict[int, bytes]:
    """Line number (1-based) -> text of the lines of `new` that are not in `old` (all of them
    when `old` is None): the inserted and replaced ranges of a line diff."""
    new_lines = new.split(b"\n")
    if new_lines and new_lines[-1] == b"":
        new_lines.pop()
    if old is None:
        return {n: line for n, line in enumerate(new_lines, start=1)}
    old_lines = old.split(b"\n")
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    added: dict[int, bytes] = {}
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            added.update((j + 1, new_lines[j]) for j in range(j1, j2))
    return added


def write_inside(tree: Path, parts: Sequence[str], lines: Mapping[int, bytes]) -> bool:
    """Write `lines` (others empty) to tree/parts as a new 0600 file; False when the target
    would not be inside the tree or exists (nothing is written then)."""
    real_tree = os.path.realpath(tree)
    parent = tree.joinpath(*parts[:-1])
    try:
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        real_parent = os.path.realpath(parent)
        if os.path.commonpath([real_tree, real_parent]) != real_tree:
            return False
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(os.path.join(real_parent, parts[-1]), flags, 0o600)
    except OSError:
        return False
    last = max(lines)
    with os.fdopen(fd, "wb") as handle:
        handle.write(b"\n".join(lines.get(n, b"") for n in range(1, last + 1)) + b"\n")
    return True


def blobs(
    root: Path, oids: Sequence[str], env: Mapping[str, str]
) -> Generator[bytes | None, None, None]:
    """The contents of `oids`, in order, from one `git cat-file --batch --buffer` process
    (a thread writes the ids while this reads the answers): None for a missing id or one
    that is not a blob."""
    import threading

    process = subprocess.Popen(
        ["git", "-C", str(root), "cat-file", "--batch", "--buffer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(env),
    )
    stdin, stdout = process.stdin, process.stdout
    assert stdin is not None and stdout is not None

    def feed() -> None:
        try:
            stdin.write(b"".join(oid.encode("ascii") + b"\n" for oid in oids))
            stdin.close()
        except OSError:  # git ended early; the reader sees the end of its output
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for _oid in oids:
            header = stdout.readline().split()
            if len(header) != 3:
                yield None
                continue
            data = stdout.read(int(header[2]) + 1)[:-1]
            yield data if header[1] == b"blob" else None
    finally:
        process.kill()
        process.wait()
        writer.join(timeout=10)


@dataclass
class Layout:
    """What was laid out: tree-relative file -> shown location, and what was refused."""

    origins: dict[str, str] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # shown paths that would leave the tree
    commits: int = 0


def _git(
    root: Path,
    args: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
    stdin: bytes | None = None,
) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            timeout=timeout,
            env=dict(env),
            check=False,
            input=stdin,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HistoryError(f"git {args[0]}: {type(exc).__name__}") from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
        raise HistoryError(f"git {args[0]}: {_CONTROL.sub('?', tail[0])[:300]}")
    return done.stdout


def shown_path(path: bytes) -> str:
    """A repository path as text for reports (undecodable bytes and control characters
    replaced)."""
    return _CONTROL.sub("\ufffd", path.decode("utf-8", "replace"))


def lay_out(root: Path, tree: Path, env: Mapping[str, str], timeout: float) -> Layout:
    """Write every commit's added lines under `tree` (a private directory the caller made);
    raises HistoryError when git cannot list the history."""
    deadline = time.monotonic() + timeout
    commits = _git(root, ("rev-list", "--all", "--no-merges"), env, timeout)
    raw = _git(
        root,
        ("diff-tree", "--stdin", "-r", "-z", "--raw", "--root", "--no-renames", "--no-abbrev"),
        env,
        max(deadline - time.monotonic(), 1.0),
        stdin=commits,
    )
    layout = Layout(commits=len(commits.split()))
    wanted: list[tuple[Change, tuple[str, ...]]] = []
    for change in changes(raw):
        parts = safe_parts(change.path)
        if parts is None:
            layout.refused.append(display(shown_path(change.path), change.commit))
        else:
            wanted.append((change, parts))
    oids = [oid for change, _ in wanted for oid in (change.new, change.old) if oid]
    contents = blobs(root, oids, env)
    try:
        for change, parts in wanted:
            if time.monotonic() > deadline:
                raise HistoryError(f"laying out the history took more than {timeout:.0f}s")
            new = next(contents)
            old = next(contents) if change.old else None
            _lay_out_one(change, parts, new, old, tree, layout)
    finally:
        contents.close()
    return layout


def _lay_out_one(
    change: Change,
    parts: tuple[str, ...],
    new: bytes | None,
    old: bytes | None,
    tree: Path,
    layout: Layout,
) -> None:
    if new is None or b"\0" in new[:BINARY_PROBE]:
        return
    if old is not None and b"\0" in old[:BINARY_PROBE]:
        old = None
    lines = {n: text for n, text in added_lines(old, new).items() if text.strip()}
    if not lines:
        return
    rel = (change.commit, *parts)
    shown = display(shown_path(change.path), change.commit)
    if write_inside(tree, rel, lines):
        layout.origins["/".join(rel)] = shown
    else:
        layout.refused.append(shown)
