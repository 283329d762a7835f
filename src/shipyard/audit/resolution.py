"""Ranges resolved (pure): which dependency files uv resolves, the requirements it is given
(the audit's own file, never the repository's), and what its answer means.

A requirements file (or a ``pyproject.toml`` with no lock file beside it) that holds a range or
a bare name is resolved as a whole: its pins too, so that what they pull in is found. A file
whose requirements are all exact pins is taken as written, like a lock file. Only PEP 508
requirements (name, extras, specifier, marker) reach uv: the file's options (``--index-url``,
``--find-links``, ``-e``), direct references (URLs, local paths) and includes do not, so the
repository cannot choose where packages come from or make uv build anything. Where the file
has hashes, every resolved version it hashes must match one of them, else its resolution is
not used (a warning says so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .pins import HASH, Dependency, Inventory, Kind

#: Lock files: a pyproject.toml beside one is not resolved (the lock holds its versions).
LOCKS = ("uv.lock", "poetry.lock", "Pipfile.lock")
#: Resolved pins named in a note before "and N more".
SHOWN = 10


@dataclass(frozen=True)
class Job:
    """One file to resolve: the requirements uv is given, the file's hashes by package, the
    line of each direct requirement, and the direct references left out."""

    file: str
    kind: Kind
    text: str
    hashes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    lines: Mapping[str, int | None] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolved:
    """What one file resolved to (``pins``), or why it did not (``warning``)."""

    file: str
    pins: tuple[Dependency, ...] = ()
    warning: str | None = None


def jobs(inventory: Inventory) -> list[Job]:
    """The files to resolve: those with a requirement that is not an exact pin."""
    locked = {
        str(PurePosixPath(f).parent) for f in inventory.files if PurePosixPath(f).name in LOCKS
    }
    found = []
    for file, wanted in sorted(inventory.requirements.items()):
        path = PurePosixPath(file)
        kind: Kind = "pyproject" if path.name == "pyproject.toml" else "requirements"
        if kind == "pyproject" and str(path.parent) in locked:
            continue
        if all(w.pinned or not w.text for w in wanted):
            continue
        texts = list(dict.fromkeys(w.text for w in wanted if w.text))
        hashes: dict[str, frozenset[str]] = {}
        for w in wanted:
            if w.hashes:
                hashes[w.name] = hashes.get(w.name, frozenset()) | frozenset(w.hashes)
        lines = {w.name: w.line for w in reversed(wanted) if w.text}
        left_out = tuple(w.name for w in wanted if not w.text)
        found.append(Job(file, kind, "".join(t + "\n" for t in texts), hashes, lines, left_out))
    return found


def _logical(text: str) -> list[str]:
    joined = re.sub(r"\\\r?\n", " ", text)
    return [re.sub(r"(^|\s)#.*$", "", line).strip() for line in joined.splitlines()]


def parse_output(job: Job, text: str) -> Resolved:
    """uv's answer (a requirements file of ``name==version`` lines, with hashes when the file
    has some) as the file's resolved pins; a hash mismatch rejects the whole resolution."""
    pins: list[Dependency] = []
    mismatched: list[str] = []
    for line in _logical(text):
        if not line or line.startswith("-"):
            continue
        hashes = frozenset(h.lower() for h in HASH.findall(line))
        try:
            req = Requirement(re.split(r"\s--?\w", " " + line)[0].strip())
        except InvalidRequirement:
            return Resolved(job.file, warning=f"{job.file}: uv's resolution could not be read")
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator != "==":
            continue
        name = canonicalize_name(req.name)
        wanted = job.hashes.get(name)
        if wanted and not wanted & hashes:
            mismatched.append(f"{name}=={specs[0].version}")
        line_no = job.lines.get(name)
        pins.append(Dependency(name, specs[0].version, job.file, line_no, job.kind, resolved=True))
    if mismatched:
        return Resolved(
            job.file,
            warning=f"{job.file}: its ranges resolve to {', '.join(mismatched)}, which no hash "
            "in the file allows; its resolution is not used (pin the hashed versions)",
        )
    return Resolved(job.file, tuple(pins))


def failed(job: Job, reason: str) -> Resolved:
    """A resolution that did not work: a warning naming the file (its ranges not matched)."""
    return Resolved(
        job.file,
        warning=f"{job.file}: its ranges could not be resolved to versions, so they were not "
        f"matched against advisories: {redact(reason)[:300]}",
    )


URL = re.compile(r"([a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` without the credentials of any URL in it (``scheme://user:pass@host``)."""
    return URL.sub(r"\1***@", text)


def index_shown(env: Mapping[str, str]) -> str:
    """The index resolution uses, as the summary shows it (no credentials): the configured
    one (UV_INDEX_URL, UV_DEFAULT_INDEX, PIP_INDEX_URL) or uv's default."""
    url = index_url(env)
    if not url:
        return "uv's default index (PyPI)"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}" + (
        parts.path
    )


def index_url(env: Mapping[str, str]) -> str | None:
    """The configured index, uv's names first, then pip's."""
    for name in ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "PIP_INDEX_URL"):
        if env.get(name):
            return env[name]
    return None


def index_env(env: Mapping[str, str]) -> dict[str, str]:
    """What uv is told through its environment (never its command line: an index URL may hold
    a credential): the configured index and extra indexes; no Python downloads, no colour."""
    found = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1", "NO_COLOR": "1"}
    url = index_url(env)
    if url:
        found["UV_INDEX_URL"] = url
    extra = env.get("UV_EXTRA_INDEX_URL") or env.get("PIP_EXTRA_INDEX_URL")
    if extra:
        found["UV_EXTRA_INDEX_URL"] = extra
    return found


def note(resolved: Sequence[Resolved], index: str) -> str | None:
    """The summary's line about the resolved pins (the table lists them all)."""
    pins = [p for r in resolved for p in r.pins]
    if not pins:
        return None
    files = sorted({r.file for r in resolved if r.pins})
    return (
        f"{len(pins)} pin(s) resolved from the ranges of {', '.join(files[:SHOWN])} with uv "
        f"against {index} (wheels only: no code from the repository ran)."
    )


def table(resolved: Sequence[Resolved]) -> list[list[str]]:
    """The summary's rows of resolved pins: package, version, file, direct or pulled in."""
    return [
        [p.name, p.version, p.file, "direct" if p.line is not None else "pulled in"]
        for r in resolved
        for p in r.pins
    ]
