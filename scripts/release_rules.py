"""The rules of RELEASING.md as code, pure (no network, no files): what a version tag is, the
CHANGELOG's format and a version's section in it, and which moving tags (``vX``, ``vX.Y``) a
release moves.

``scripts/release.py`` (run by ``.github/workflows/publish.yml``) applies them;
``tests/test_release_rules.py`` holds them, and checks the repository's own CHANGELOG.md.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_NUMBER = r"0|[1-9]\d*"
_IDENTIFIER = r"[0-9A-Za-z-]+"
_VERSION = (
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
)
VERSION = re.compile(rf"^{_VERSION}$")
"""A semantic version without build metadata: ``1.2.0``, ``1.3.0-rc.1``."""
TAG = re.compile(rf"^v{_VERSION}$")
"""A release tag: ``v`` and a version. ``v1`` and ``v1.2`` are moving tags, not releases."""

TITLE = "# Changelog"
UNRELEASED = "## Unreleased"
VERSION_HEADING = re.compile(r"^## (?P<version>\S+) - (?P<date>\S+)$")
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
"""The kinds of change a section lists (Keep a Changelog's), each a ``###`` heading; a
qualifier in parentheses may follow (``### Security (approval)``)."""
SUBSECTION = re.compile(rf"^### (?:{'|'.join(KINDS)})(?: \([^()]+\))?$")


class ReleaseError(Exception):
    """A rule is broken: the message says which and what to do."""


@dataclass(frozen=True)
class Version:
    """A release's version, ordered by semantic-versioning precedence."""

    major: int
    minor: int
    patch: int
    pre: str | None = None

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """``1.2.0`` (or ``v1.2.0`` with the tag's ``v``) as a Version; None if it is not one."""
        match = TAG.match(text) or VERSION.match(text)
        if match is None:
            return None
        numbers = (int(match["major"]), int(match["minor"]), int(match["patch"]))
        return cls(*numbers, match["pre"])

    @classmethod
    def from_tag(cls, tag: str) -> Version:
        """The version a release tag names; ReleaseError for anything else."""
        version = cls.parse(tag) if tag.startswith("v") else None
        if version is None:
            raise ReleaseError(
                f"{tag!r} is not a release tag: vMAJOR.MINOR.PATCH, optionally followed by "
                "-PRERELEASE (v1.2.0, v1.3.0-rc.1)"
            )
        return version

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.pre}" if self.pre else core

    @property
    def tag(self) -> str:
        """``v1.2.0``."""
        return f"v{self}"

    @property
    def prerelease(self) -> bool:
        """Whether this is a pre-release (``1.3.0-rc.1``): it moves no tag."""
        return self.pre is not None

    def precedence(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        """Semantic versioning's order: a pre-release comes before its release; numeric
        identifiers compare as numbers and before alphanumeric ones."""
        if self.pre is None:
            return (self.major, self.minor, self.patch, 1, ())
        parts = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.pre.split(".")
        )
        return (self.major, self.minor, self.patch, 0, parts)

    def __lt__(self, other: Version) -> bool:
        return self.precedence() < other.precedence()

    def __gt__(self, other: Version) -> bool:
        return self.precedence() > other.precedence()


# ----------------------------------------------------------------------------- the CHANGELOG


@dataclass(frozen=True)
class Section:
    """One ``##`` section of the CHANGELOG: its heading's line number (1-based), the version
    and date it names (None for Unreleased) and its text below the heading."""

    line: int
    heading: str
    version: Version | None
    date: datetime.date | None
    body: str


def sections(text: str) -> list[Section]:
    """The CHANGELOG's ``##`` sections, in order (malformed headings keep version None)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")]
    found = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        heading = lines[start].rstrip()
        version, date = _heading_fields(heading)
        body = "\n".join(lines[start + 1 : end]).strip("\n")
        found.append(Section(start + 1, heading, version, date, body))
    return found


def _heading_fields(heading: str) -> tuple[Version | None, datetime.date | None]:
    match = VERSION_HEADING.match(heading)
    if match is None:
        return None, None
    date = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", match["date"]):
        try:
            date = datetime.date.fromisoformat(match["date"])
        except ValueError:  # 2026-02-30
            date = None
    text = match["version"]
    return (Version.parse(text) if VERSION.match(text) else None), date  # no "v" in a heading


def changelog_problems(text: str) -> list[str]:
    """Every way ``text`` breaks the CHANGELOG's format (empty: it is well formed)."""
    lines = text.splitlines()
    problems = []
    if not lines or lines[0] != TITLE:
        problems.append(f"line 1: the file starts with {TITLE!r}")
    found = sections(text)
    if not found or found[0].heading != UNRELEASED:
        problems.append(f"the first section is {UNRELEASED!r} (empty while nothing is pending)")
    problems += _heading_problems(found)
    problems += _order_problems([s for s in found if s.version is not None])
    for number, line in enumerate(lines, start=1):
        if line.startswith("### ") and not SUBSECTION.match(line):
            problems.append(
                f"line {number}: {line!r} is not a kind of change ({', '.join(KINDS)}, "
                "optionally followed by a qualifier in parentheses)"
            )
        elif line.startswith("#") and not line.startswith(("# ", "## ", "### ")):
            problems.append(f"line {number}: headings are #, ## and ### only")
    return problems


def _heading_problems(found: Sequence[Section]) -> list[str]:
    problems = []
    for index, section in enumerate(found):
        if section.heading == UNRELEASED:
            if index:
                problems.append(f"line {section.line}: {UNRELEASED!r} comes first, once")
            continue
        if section.version is None or section.date is None:
            problems.append(
                f"line {section.line}: {section.heading!r} is not '## MAJOR.MINOR.PATCH - "
                "YYYY-MM-DD' (a version and its release date)"
            )
        elif not any(line.startswith("- ") for line in section.body.splitlines()):
            problems.append(f"line {section.line}: {section.version} lists no change")
    return problems


def _order_problems(versioned: Sequence[Section]) -> list[str]:
    problems = []
    seen: set[Version] = set()
    for previous, section in zip([None, *versioned], versioned, strict=False):
        version = section.version
        assert version is not None
        if version in seen:
            problems.append(f"line {section.line}: {version} has a second section")
        elif previous is not None and previous.version is not None and version > previous.version:
            problems.append(
                f"line {section.line}: {version} comes after {previous.version}: the newest "
                "version first"
            )
        seen.add(version)
    return problems


def release_section(text: str, version: Version) -> Section:
    """The section of ``version``, which a release needs; ReleaseError naming what to write
    when it is missing, malformed or empty, or when the CHANGELOG breaks its format."""
    wanted = [s for s in sections(text) if s.version == version]
    if not wanted:
        named = [s for s in sections(text) if s.heading.startswith(f"## {version} ")]
        hint = f" ({named[0].heading!r} at line {named[0].line} is malformed)" if named else ""
        raise ReleaseError(
            f"CHANGELOG.md has no section for {version}{hint}: move the changes from "
            f"'## Unreleased' into '## {version} - YYYY-MM-DD' (the release date), then delete "
            f"the tag (git push --delete origin {version.tag}) and tag the commit that has it"
        )
    problems = changelog_problems(text)
    if problems:
        raise ReleaseError(
            "CHANGELOG.md breaks its format (RELEASING.md): " + "; ".join(problems[:5])
        )
    return wanted[0]


# ---------------------------------------------------------------------------- moving tags


@dataclass(frozen=True)
class TagMove:
    """What a release does with one moving tag: ``move`` it here, or leave it, and why."""

    name: str
    move: bool
    reason: str


def moving_tags(version: Version, tags: Iterable[str]) -> list[TagMove]:
    """The moving tags of ``version`` (``vX``, ``vX.Y``) and whether each moves to it.

    ``tags`` are the repository's tag names. A moving tag never goes back: ``vX`` moves only
    when no release tag ``vX.*`` is higher than ``version`` (so a fix to an older minor,
    v1.2.5 after v1.3.0, moves v1.2 and not v1); ``vX.Y`` likewise within ``vX.Y.*``. A
    pre-release moves nothing."""
    major, minor = f"v{version.major}", f"v{version.major}.{version.minor}"
    if version.prerelease:
        reason = f"{version.tag} is a pre-release"
        return [TagMove(major, False, reason), TagMove(minor, False, reason)]
    released = [v for v in map(Version.parse, tags) if v is not None and not v.prerelease]
    moves = []
    for name, same_line in (
        (major, lambda v: v.major == version.major),
        (minor, lambda v: (v.major, v.minor) == (version.major, version.minor)),
    ):
        higher = [v for v in released if same_line(v) and v > version]
        if higher:
            moves.append(TagMove(name, False, f"{max(higher).tag} is higher"))
        else:
            moves.append(TagMove(name, True, f"{version.tag} is the highest {name}.x"))
    return moves


def is_latest(version: Version, tags: Iterable[str]) -> bool:
    """Whether ``version`` becomes the repository's latest release: not a pre-release, and no
    release tag is higher (a fix to an older line is not the latest)."""
    if version.prerelease:
        return False
    released = [v for v in map(Version.parse, tags) if v is not None and not v.prerelease]
    return not any(v > version for v in released)


def release_body(
    section: Section, version: Version, repository: str, sha: str, moves: Sequence[TagMove]
) -> str:
    """The GitHub Release's text: the CHANGELOG section, then how to pin this release and what
    the moving tags did."""
    return (
        f"{section.body.strip()}\n\n---\n\n"
        f"Pin this release by its tag, `uses: {repository}/<action>@{version.tag}`, or by its "
        f"commit, `uses: {repository}/<action>@{sha} # {version.tag}`. {_moves_text(moves)}\n"
    )


def _moves_text(moves: Sequence[TagMove]) -> str:
    moved = [f"`@{m.name}`" for m in moves if m.move]
    stayed = [m for m in moves if not m.move]
    words = []
    if moved:
        words.append(f"{' and '.join(moved)} now point{'s' if len(moved) == 1 else ''} here.")
    if stayed and len({m.reason for m in stayed}) == 1:
        names = " and ".join(f"`@{m.name}`" for m in stayed)
        words.append(f"{names} do{'es' if len(stayed) == 1 else ''} not move: {stayed[0].reason}.")
    else:
        words += [f"`@{m.name}` does not move: {m.reason}." for m in stayed]
    return " ".join(words)
