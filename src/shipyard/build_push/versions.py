"""Versions in tags: semantic versions (semver.org 2.0) and PEP 440 versions. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
#: A semantic version at the end of a text (``p1/v1.0.0``, ``release-2.0.8-beta.67``).
_TRAILING_SEMVER = re.compile(
    r"(?:^|[^0-9.])v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$"
)


@dataclass(frozen=True)
class SemVer:
    """A semantic version (semver.org 2.0), compared by its precedence."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @property
    def version(self) -> str:
        """``1.2.3`` or ``1.2.3-rc.1`` (build metadata left out, as metadata-action does)."""
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core + ("-" + ".".join(self.prerelease) if self.prerelease else "")

    @property
    def is_prerelease(self) -> bool:
        """Whether it has a pre-release part (``1.2.0-rc.1``)."""
        return bool(self.prerelease)

    def key(self) -> tuple[Any, ...]:
        """A sort key in SemVer 2.0 precedence (a release after its pre-releases)."""
        identifiers = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.prerelease
        )
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, identifiers)

    def __lt__(self, other: SemVer) -> bool:
        return self.key() < other.key()

    def __le__(self, other: SemVer) -> bool:
        return self.key() <= other.key()

    def __gt__(self, other: SemVer) -> bool:
        return self.key() > other.key()

    def __ge__(self, other: SemVer) -> bool:
        return self.key() >= other.key()

    def __str__(self) -> str:
        return self.version


def parse_semver(text: str) -> SemVer | None:
    """A semantic version, allowing a leading ``v`` or ``=`` (as node-semver); else None."""
    value = text.strip()
    if value[:1] in ("v", "V", "="):
        value = value[1:]
    match = _SEMVER.match(value)
    if not match:
        return None
    pre = tuple(match.group(4).split(".")) if match.group(4) else ()
    return SemVer(
        int(match.group(1)), int(match.group(2)), int(match.group(3)), pre, match.group(5) or ""
    )


def final_release(text: str) -> SemVer | None:
    """The version when ``text`` is a final semantic version (``v1.2.3``), else None."""
    version = parse_semver(text)
    return version if version is not None and not version.is_prerelease else None


def trailing_release(source: str) -> SemVer | None:
    """The final semantic version a text ends with (``p1/v1.0.0``: 1.0.0), else None: a
    ``type=match`` tag of such a git tag (or value) is a release, whatever part it extracts;
    one of ``v2.0.8-beta.67`` or ``20200110-RC2`` is not."""
    trailing = _TRAILING_SEMVER.search(source.strip())
    return final_release(trailing.group(1)) if trailing else None


#: (version, exact tag when it is not a final release else None, the pattern's values)
Release = tuple[SemVer, "str | None", dict[str, str]]


def parse_release(kind: str, raw: str) -> Release | None:
    """A ``type=semver`` or ``type=pep440`` value, or None when it is not such a version."""
    if kind == "semver":
        return _semver_release(raw)
    return _pep440_release(raw)


def _semver_release(raw: str) -> Release | None:
    version = parse_semver(raw)
    if version is None:
        return None
    values = {
        "version": version.version,
        "major": str(version.major),
        "minor": str(version.minor),
        "patch": str(version.patch),
        "raw": raw,
    }
    return version, version.version if version.is_prerelease else None, values


def _pep440_release(raw: str) -> Release | None:
    from packaging.version import InvalidVersion, Version

    try:
        pep = Version(raw)
    except InvalidVersion:
        return None
    parts = (*pep.release, 0, 0, 0)
    semver = SemVer(parts[0], parts[1], parts[2])
    values = {
        "version": pep.public,
        "major": str(parts[0]),
        "minor": str(parts[1]),
        "patch": str(parts[2]),
        "raw": raw,
    }
    unstable = pep.is_prerelease or pep.is_postrelease or pep.is_devrelease
    return semver, str(pep) if unstable else None, values
