"""Which linters the repository's CI runs (pure): the ``run:`` steps of its workflows and the
``commands`` of its tox environments, read as command lines, never run.

A linter the CI runs is enforced, like one with a configuration or a pre-commit hook; one
that is only a development dependency is not (see ``detect``). ``ruff format`` and ``ruff
check`` are told apart; wrappers are seen through (``python -m``, ``uv run``, ``uvx``,
``poetry run``, ``pipx run``, ``pre-commit run <hook>``, a venv's ``bin/``).
"""

from __future__ import annotations

import configparser
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .config import HOOK_IDS

#: Commands that are linters, by the name of the program.
PROGRAMS = frozenset(
    [
        "ruff",
        "black",
        "isort",
        "flake8",
        "pylint",
        "mypy",
        "yamllint",
        "shellcheck",
        "zizmor",
        "hadolint",
    ]
)
#: Words that run the next word as the program (with their own options before it).
WRAPPERS = frozenset(
    {"uv", "uvx", "poetry", "pdm", "pipx", "hatch", "rye", "pipenv", "sudo", "time", "exec", "env"}
)
RUN_WORDS = frozenset({"run", "exec"})
SEPARATORS = re.compile(r"&&|\|\||[;|&`]|\$\(|\)")
PYTHON = re.compile(r"^(?:python(?:\d+(?:\.\d+)*)?|py|\{envpython\}|\$\{?\w*python\w*\}?)$", re.I)
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _words(segment: str) -> list[str]:
    try:
        return shlex.split(segment, comments=True)
    except ValueError:
        return segment.split()


def _program(words: list[str]) -> tuple[str, list[str]] | None:
    """The program a command runs (a wrapper, a venv path or ``python -m`` seen through)
    and its arguments."""
    index = 0
    while index < len(words):
        word = words[index]
        name = word.rsplit("/", 1)[-1]
        if ASSIGNMENT.match(word) or word.startswith("-") or name in WRAPPERS | RUN_WORDS:
            index += 1
        elif PYTHON.match(name) and words[index + 1 : index + 2] == ["-m"]:
            index += 2
        elif name == "pre-commit" and words[index + 1 : index + 2] == ["run"]:
            hook = next((w for w in words[index + 2 :] if not w.startswith("-")), "")
            return ("pre-commit", [hook])
        else:
            return name, words[index + 1 :]
    return None


def command_linters(line: str) -> list[str]:
    """The linters one shell line runs."""
    found: list[str] = []
    for segment in SEPARATORS.split(line):
        program = _program(_words(segment))
        if program is None:
            continue
        name, args = program
        if name == "pre-commit":
            found += HOOK_IDS.get(args[0], ())
        elif name == "ruff":
            verb = next((word for word in args if not word.startswith("-")), "check")
            found.append("ruff-format" if verb == "format" else "ruff")
        elif name in PROGRAMS:
            found.append(name)
    return found


def _lines(script: str) -> Iterator[str]:
    yield from script.replace("\\\n", " ").splitlines()


def _run_scripts(workflow: Any) -> Iterator[str]:
    jobs = workflow.get("jobs") if isinstance(workflow, Mapping) else None
    for job in jobs.values() if isinstance(jobs, Mapping) else ():
        steps = job.get("steps") if isinstance(job, Mapping) else None
        for step in steps if isinstance(steps, list) else ():
            if isinstance(step, Mapping) and isinstance(step.get("run"), str):
                yield step["run"]


def from_workflow(text: str) -> list[str]:
    """The linters a workflow's ``run:`` steps run ([] when it is not YAML)."""
    import yaml

    try:
        workflow = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    scripts = _run_scripts(workflow)
    return [name for script in scripts for line in _lines(script) for name in command_linters(line)]


def from_tox(text: str) -> list[str]:
    """The linters the ``commands`` of tox.ini's environments run."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    found = []
    for section in parser.sections():
        if section.startswith("testenv") and parser.has_option(section, "commands"):
            for line in _lines(parser.get(section, "commands")):
                found += command_linters(line)
    return found


def workflow_files(files: Iterable[str]) -> list[str]:
    """The repository's workflows (GitHub runs those of the root's .github/workflows only)."""
    return sorted(
        path
        for path in files
        if path.startswith(".github/workflows/")
        and path.count("/") == 2
        and path.endswith((".yml", ".yaml"))
    )


def ci_linters(files: Iterable[str], read: Callable[[str], str | None]) -> dict[str, str]:
    """Each linter the CI runs, and where (the first workflow or tox.ini that runs it)."""
    found: dict[str, str] = {}
    listed = list(files)
    for path in workflow_files(listed):
        for name in from_workflow(read(path) or ""):
            found.setdefault(name, f"{path} runs {name.replace('-', ' ')}")
    if "tox.ini" in listed:
        for name in from_tox(read("tox.ini") or ""):
            found.setdefault(name, f"tox.ini runs {name.replace('-', ' ')}")
    return found
