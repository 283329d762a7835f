"""The findings cache on disk, and the files' contents it is keyed on (the file system only).

``<cache-dir>/findings/<linter>-<context>.json``: one document per linter and context (see
``cache``), read with a size limit and checked field by field (a document that does not pass
is ignored whole, with a line in the log), written whole to a temporary file and renamed into
place (a reader never sees half of one). A linter keeps its newest few contexts; older ones
(another version, another configuration) are removed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from shipyard.runtime import Runner

from . import cache
from .cache import CacheError, Entry

#: Contexts kept per linter (e.g. the branches' configurations that alternate).
KEEP_CONTEXTS = 4
#: The action's code that reads a linter's output: a change to it invalidates the cache.
PACKAGE = Path(__file__).resolve().parent
READERS = (PACKAGE / "tools.py", PACKAGE / "cache.py", PACKAGE.parent / "findings")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """The digest of the action's code that turns a linter's output into findings."""
    digest = hashlib.sha256()
    for place in READERS:
        for path in sorted(place.rglob("*.py")) if place.is_dir() else [place]:
            digest.update(path.relative_to(PACKAGE.parent).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Contents:
    """The linted files' sizes and content digests, each file read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._digests: dict[str, str | None] = {}

    def digest(self, path: str) -> str | None:
        """The content digest of ``path`` (None when it cannot be read)."""
        if path not in self._digests:
            try:
                self._digests[path] = cache.digest((self.root / path).read_bytes())
            except OSError:
                self._digests[path] = None
        return self._digests[path]

    def digests(self, paths: Iterable[str]) -> dict[str, str]:
        """The content digests of the readable ones of ``paths``."""
        found = {path: self.digest(path) for path in paths}
        return {path: value for path, value in found.items() if value is not None}

    def sizes(self, paths: Iterable[str]) -> dict[str, int]:
        """The sizes in bytes of ``paths`` (0 when unknown)."""
        found = {}
        for path in paths:
            try:
                found[path] = (self.root / path).stat().st_size
            except OSError:
                found[path] = 0
        return found


class FindingsCache:
    """The cache folder of a run (``<cache-dir>/findings``)."""

    def __init__(self, folder: Path, runner: Runner) -> None:
        self.folder = folder
        self.runner = runner

    def path(self, linter: str, context: str) -> Path:
        """The document of ``linter`` under ``context``."""
        return self.folder / f"{linter}-{context[:32]}.json"

    def read(self, linter: str, context: str) -> dict[str, Entry]:
        """The entries cached for ``linter`` under ``context`` ({} when none can be used)."""
        path = self.path(linter, context)
        try:
            with path.open("rb") as handle:
                data = handle.read(cache.MAX_BYTES + 1)
        except OSError:
            return {}
        try:
            return cache.load(data.decode("utf-8"), linter, context)
        except (CacheError, UnicodeDecodeError) as exc:
            why = str(exc)[:200]  # it may quote the document, which anyone may have written
            self.runner.info(f"lint: the findings cache {path.name} was ignored: {why}.")
            return {}

    def write(self, linter: str, context: str, entries: Mapping[str, Entry]) -> None:
        """Replace the document of ``linter`` under ``context``; drop its oldest contexts.
        A cache that cannot be written is a line in the log, not a failure."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(cache.dump(linter, context, entries))
            os.replace(temporary, self.path(linter, context))
        except OSError as exc:
            self.runner.info(f"lint: could not write the findings cache of {linter}: {exc}.")
            return
        self._prune(linter)

    def _prune(self, linter: str) -> None:
        with contextlib.suppress(OSError):  # another job on the runner may prune at once
            mine = self.folder.glob(f"{linter}-*.json")
            documents = sorted(
                (path for path in mine if len(path.stem) == len(linter) + 33),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
            for old in documents[KEEP_CONTEXTS:]:
                old.unlink()
