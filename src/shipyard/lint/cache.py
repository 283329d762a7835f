"""The findings cache (pure): its keys, its format, and the strict reading of what it holds.

A per-file linter's findings on a file depend on the file's content, where it lies, the
linter (its version and plugins), its configuration, its arguments and the action's code
that reads its output. The cache keeps them per linter in one JSON document per *context*
(a digest of everything but the file), mapping each file's path to the digest of the content
it had and the findings it got; a run looks each file up by path and content digest and
lints only the others.

The cache is data an earlier run wrote, maybe a pull request's run on code nobody reviewed:
it is read as untrusted input. It is JSON (never code), its size is capped, and every field
is checked (type, range, length, level, URL scheme); a document that is not exactly what this
module writes is ignored whole. A finding is attached to the file of its entry (an entry
cannot name another file), and an entry is used only for a file whose path and content
digest match it, under the context of this run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from shipyard.findings.model import LEVELS, SEVERITIES, Finding

FORMAT = "shipyard-lint-findings/1"
#: The most a cache document may weigh, and hold.
MAX_BYTES = 64 * 1024 * 1024
MAX_FINDINGS = 100_000  # per file
MAX_TEXT = 64 * 1024  # per string
MAX_ITEMS = 256  # per tuple field
DIGEST = re.compile(r"^[0-9a-f]{64}$")
#: Fields of a finding that the entry gives (the linter, the file) or that are derived (its
#: fingerprint, never chosen by whoever wrote the cache).
IMPLIED = frozenset({"tool", "file", "tools", "fingerprint"})


class CacheError(ValueError):
    """A cache document that is not one this module wrote."""


@dataclass(frozen=True)
class Entry:
    """One file's findings, for the content whose digest is ``digest``."""

    digest: str
    findings: tuple[Finding, ...] = ()


def digest(data: bytes) -> str:
    """The content digest of a file (sha256, hex)."""
    return hashlib.sha256(data).hexdigest()


def context_key(parts: Mapping[str, object]) -> str:
    """The digest of everything a linter's findings on a file depend on besides the file."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_files(names: Collection[str], files: Iterable[str]) -> list[str]:
    """The files of the tree named like a linter's configuration, at any depth."""
    return sorted(path for path in files if path.rsplit("/", 1)[-1] in names)


def layout(files: Iterable[str]) -> list[str]:
    """The tree's shape as import sorters see it: the first one and two parts of every
    Python file's path (which modules are first-party), not the files' contents."""
    found: set[str] = set()
    for path in files:
        if path.endswith((".py", ".pyi")):
            parts = path.split("/")
            found.update(("/".join(parts[:1]), "/".join(parts[:2])))
    return sorted(found)


# -- writing ---------------------------------------------------------------------------------


def _finding_json(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in fields(Finding):
        if item.name in IMPLIED:
            continue
        value = getattr(finding, item.name)
        out[item.name] = list(value) if isinstance(value, tuple) else value
    return out


def dump(linter: str, context: str, entries: Mapping[str, Entry]) -> str:
    """The cache document of one linter and context."""
    document = {
        "format": FORMAT,
        "linter": linter,
        "context": context,
        "files": {
            path: {
                "digest": entry.digest,
                "findings": [_finding_json(finding) for finding in entry.findings],
            }
            for path, entry in sorted(entries.items())
        },
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


# -- reading ---------------------------------------------------------------------------------


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\0" in value:
        raise CacheError(f"{name} is not a string of at most {MAX_TEXT} characters")
    return value


def _optional_text(value: object, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _position(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**9:
        raise CacheError(f"{name} is not a line or column number")
    return value


def _url(value: object, name: str) -> str | None:
    url = _optional_text(value, name)
    if url is not None and not re.match(r"^https?://[^\s]+$", url):
        raise CacheError(f"{name} is not an http(s) URL")
    return url


def _level(value: object, name: str) -> str:
    if value not in LEVELS:
        raise CacheError(f"{name} is not a level")
    return str(value)


def _severity(value: object, name: str) -> str | None:
    if value is not None and value not in SEVERITIES:
        raise CacheError(f"{name} is not a severity")
    return None if value is None else str(value)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise CacheError(f"{name} is not true or false")
    return value


def _texts(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise CacheError(f"{name} is not a list of at most {MAX_ITEMS} strings")
    return tuple(_text(item, name) for item in value)


#: How each stored field of a finding is checked, by its declared type (a field of a type
#: not here cannot be read back: the document is refused, never guessed at).
CHECKS = {
    "str": _text,
    "str | None": _optional_text,
    "int | None": _position,
    "Level": _level,
    "Severity | None": _severity,
    "bool": _flag,
    "tuple[str, ...]": _texts,
}
SPECIAL = {"help_url": _url}


def _stored() -> dict[str, Any]:
    """The stored fields of a finding and how each is checked (None: it cannot be read)."""
    return {
        item.name: SPECIAL.get(item.name) or CHECKS.get(str(item.type))
        for item in fields(Finding)
        if item.name not in IMPLIED
    }


STORED = _stored()


def _finding(data: object, linter: str, path: str) -> Finding:
    if not isinstance(data, dict) or data.keys() != STORED.keys():
        raise CacheError(f"a finding of {path} does not have the fields of a finding")
    values: dict[str, Any] = {"tool": linter, "file": path}
    for name, check in STORED.items():
        if check is None:
            raise CacheError(f"the field {name} cannot be read from a cache")
        values[name] = check(data[name], f"{path}: {name}")
    return Finding(**values)


def _entry(path: object, data: object, linter: str) -> tuple[str, Entry]:
    name = _text(path, "a path")
    if not name or name.startswith("/") or ".." in name.split("/"):
        raise CacheError("a path is not relative to the linted folder")
    if not isinstance(data, dict) or set(data) != {"digest", "findings"}:
        raise CacheError(f"{name}: not an entry")
    if not isinstance(data["digest"], str) or not DIGEST.match(data["digest"]):
        raise CacheError(f"{name}: not a content digest")
    found = data["findings"]
    if not isinstance(found, list) or len(found) > MAX_FINDINGS:
        raise CacheError(f"{name}: not a list of at most {MAX_FINDINGS} findings")
    return name, Entry(data["digest"], tuple(_finding(item, linter, name) for item in found))


def _no_constants(name: str) -> Any:
    raise CacheError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise CacheError("a key appears twice")
    return dict(pairs)


def load(text: str, linter: str, context: str) -> dict[str, Entry]:
    """The entries of a cache document of ``linter`` under ``context``; CacheError when it
    is anything else (another format, linter or context, a field out of place)."""
    if len(text) > MAX_BYTES:
        raise CacheError("too large")
    try:
        document = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_unique)
    except (ValueError, RecursionError) as exc:
        raise CacheError(f"not JSON ({str(exc).splitlines()[0][:100]})") from None
    if not isinstance(document, dict) or set(document) != {
        "format",
        "linter",
        "context",
        "files",
    }:
        raise CacheError("not a findings cache document")
    if document["format"] != FORMAT:
        raise CacheError("another format")
    if document["linter"] != linter or document["context"] != context:
        raise CacheError("another linter or context")
    files = document["files"]
    if not isinstance(files, dict):
        raise CacheError("no files")
    return dict(_entry(path, data, linter) for path, data in files.items())


# -- using -----------------------------------------------------------------------------------


def lookup(
    entries: Mapping[str, Entry], digests: Mapping[str, str]
) -> tuple[dict[str, tuple[Finding, ...]], list[str]]:
    """The findings of the files whose content is cached, and the files to lint."""
    hits: dict[str, tuple[Finding, ...]] = {}
    misses: list[str] = []
    for path, content in digests.items():
        entry = entries.get(path)
        if entry is not None and entry.digest == content:
            hits[path] = entry.findings
        else:
            misses.append(path)
    return hits, misses


def restores(finding: Finding, linter: str) -> bool:
    """Whether ``finding``, written to a document of ``linter`` and read back, is the same
    finding, every field (its replacement, fingerprint, tools...) equal: a cached run must
    report exactly what a run of the linter does."""
    try:
        return _finding(_finding_json(finding), linter, finding.file or "") == finding
    except CacheError:
        return False


def entries_of(
    findings: Iterable[Finding], digests: Mapping[str, str], linter: str
) -> dict[str, Entry] | None:
    """A linter run's findings as entries of the files it linted (``digests``: their content
    digests); None when a finding names no file or another one (the run cannot be cached).
    A file with a finding the cache cannot restore as it is (a text over the limits, a
    fingerprint or tool of its own) gets no entry: it is linted again next time."""
    by_file: dict[str, list[Finding]] = {path: [] for path in digests}
    for finding in findings:
        if finding.file not in by_file:
            return None
        by_file[finding.file].append(finding)
    return {
        path: Entry(digests[path], tuple(found))
        for path, found in by_file.items()
        if all(restores(finding, linter) for finding in found)
    }


def merged(
    old: Mapping[str, Entry], new: Mapping[str, Entry], present: Collection[str]
) -> dict[str, Entry]:
    """The document to write: the new entries, and the old ones of the other files still in
    the tree (one entry per path: the cache holds what the tree looks like)."""
    kept = {path: entry for path, entry in old.items() if path in present and path not in new}
    return {**kept, **new}
