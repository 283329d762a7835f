"""Which version of each linter to install, and from where (pure).

Order: the ``versions`` input, then the repository's pins (development requirement files,
pyproject dev dependencies or dependency groups, .pre-commit-config.yaml revs), then ours (a
hash-locked lock per linter, ``locks/tools/lint/<package>.txt``). A range that our locked version
satisfies keeps ours (hash-checked); any other range is installed as written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .config import RepoConfig, canonical, hook_linters, parse_requirement
from .tools import LINTERS

EXACT = re.compile(r"^===?\s*v?(\d[\w.+!-]*)$")
REV = re.compile(r"^v?(\d+(?:\.\d+)+)$")
# A pre-commit rev of these repositories is not the PyPI version of what we install.
PREFIX_PINS = {"hadolint/hadolint": "hadolint"}


@dataclass(frozen=True)
class Locked:
    """Our hash-locked requirement of one package: its version and the lock's text."""

    version: str
    text: str


@dataclass(frozen=True)
class ToolVersion:
    """What to install for one linter."""

    linter: str
    package: str
    version: str  # exact version, or the spec when only a range is known
    source: str  # where the version comes from
    requirements: tuple[str, ...]  # what to install when not from our lock
    lock: str | None = None  # our hashed lock (installed with --require-hashes)

    @property
    def key(self) -> str:
        """Names the cached venv: the same inputs give the same venv."""
        text = "\n".join((self.package, *self.requirements, self.lock or ""))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def plugins(self) -> tuple[str, ...]:
        """The plugins installed along with the linter."""
        return self.requirements[1:]


def _exact(spec: str) -> str | None:
    match = EXACT.match(spec)
    return match.group(1) if match else None


def _satisfies(version: str, spec: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) in SpecifierSet(spec)
    except (InvalidSpecifier, InvalidVersion):
        return False


def _hook_pin(linter: str, config: RepoConfig) -> tuple[str, str] | None:
    for hook in config.hooks:
        if linter not in hook_linters(hook):
            continue
        match = REV.match(hook.rev.strip())
        if match is None:
            return None
        repo = hook.repo.removesuffix(".git").rstrip("/").lower()
        wildcard = any(repo.endswith(r) for r in PREFIX_PINS)
        version = match.group(1)
        return (
            f"=={version}.*" if wildcard else f"=={version}"
        ), f".pre-commit-config.yaml rev {hook.rev}"
    return None


def _repo_spec(linter: str, package: str, config: RepoConfig) -> tuple[str, str] | None:
    for requirement in config.requirements:
        if requirement.name == package and requirement.spec:
            return requirement.spec, requirement.source
    return _hook_pin(linter, config)


def _plugins(linter: str, config: RepoConfig) -> tuple[str, ...]:
    prefixes = LINTERS[linter].plugin_prefixes
    if not prefixes:
        return ()
    found: dict[str, str] = {}
    for requirement in config.requirements:
        if requirement.name.startswith(prefixes):
            found.setdefault(requirement.name, requirement.name + requirement.spec)
    for hook in config.hooks:
        if linter in hook_linters(hook):
            for dependency in hook.additional_dependencies:
                parsed = parse_requirement(dependency, ".pre-commit-config.yaml")
                if parsed is not None and parsed.name.startswith(prefixes):
                    found.setdefault(parsed.name, parsed.name + parsed.spec)
    return tuple(found[name] for name in sorted(found))


def resolve(
    linters: Sequence[str],
    config: RepoConfig,
    ours: Mapping[str, Locked],
    overrides: Mapping[str, str],
) -> dict[str, ToolVersion]:
    """The version of every linter in ``linters``; ``ours`` maps package -> our lock."""
    result: dict[str, ToolVersion] = {}
    for name in linters:
        package = LINTERS[name].package
        override = overrides.get(name) or overrides.get(package)
        spec, source = (
            (f"=={override.lstrip('v=')}", "the versions input")
            if override
            else _repo_spec(name, package, config) or ("", "")
        )
        plugins = _plugins(name, config)
        locked = ours.get(package)
        keep_ours = locked is not None and (not spec or _satisfies(locked.version, spec))
        if keep_ours and locked is not None:
            why = "ours (locks/tools/lint)" if not spec else f"ours, allowed by {source}"
            if plugins:  # plugins change the resolution: our version, without the hash lock
                result[name] = ToolVersion(
                    name, package, locked.version, why, (f"{package}=={locked.version}", *plugins)
                )
            else:
                result[name] = ToolVersion(name, package, locked.version, why, (), locked.text)
            continue
        version = _exact(spec) or spec or "latest"
        result[name] = ToolVersion(
            name, package, version, source or "latest (no lock)", (package + spec, *plugins)
        )
    return result


def read_lock(text: str, package: str) -> Locked | None:
    """Our lock of ``package``: the version pinned for this interpreter, and the text."""
    wanted = canonical(package)
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;([^\\]*))?", line)
        if match is None or canonical(match.group(1)) != wanted:
            continue
        if match.group(3) and not _marker_holds(match.group(3)):
            continue
        return Locked(match.group(2), text)
    return None


def _marker_holds(marker: str) -> bool:
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(marker.strip()).evaluate()
    except InvalidMarker:
        return True
