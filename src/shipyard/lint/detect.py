"""Which linters a repository uses, from its own configuration, and why (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shipyard.findings.kinds import dockerfile, python_file, shell_script, workflow_file

from .config import RepoConfig, hook_linters
from .tools import LINTERS, PYTHON_LINTERS

# Where each Python linter's configuration lives: (file, ini section or None for the file).
INI_CONFIG: dict[str, tuple[tuple[str, str | None], ...]] = {
    "flake8": ((".flake8", None), ("setup.cfg", "flake8"), ("tox.ini", "flake8")),
    "pylint": (
        (".pylintrc", None),
        ("pylintrc", None),
        ("setup.cfg", "pylint"),
        ("tox.ini", "pylint"),
    ),
    "mypy": (("mypy.ini", None), (".mypy.ini", None), ("setup.cfg", "mypy"), ("tox.ini", "mypy")),
    "isort": (
        (".isort.cfg", None),
        ("setup.cfg", "isort"),
        ("tox.ini", "isort"),
        ("setup.cfg", "tool:isort"),
    ),
}
TOML_CONFIG: dict[str, tuple[str, ...]] = {
    "ruff": ("ruff.toml", ".ruff.toml"),
    "yamllint": (".yamllint", ".yamllint.yaml", ".yamllint.yml"),
}
PYPROJECT_TOOL = {
    "ruff": "ruff",
    "black": "black",
    "isort": "isort",
    "mypy": "mypy",
    "pylint": "pylint",
}


#: A linter that is only a dependency is not run when one of these is enforced: ruff checks
#: what flake8, isort and pylint check (pyflakes, pycodestyle, isort, pylint rules), and
#: ruff format formats as black does.
COVERED_BY: dict[str, tuple[str, ...]] = {
    "flake8": ("ruff",),
    "isort": ("ruff",),
    "pylint": ("ruff",),
    "black": ("ruff-format",),
}


@dataclass(frozen=True)
class Detection:
    """The linters to run for ``linters: auto``, why each runs, and why some that the
    repository lists are not run."""

    linters: tuple[str, ...]  # in the order of LINTERS
    reasons: dict[str, str]  # linter -> why it runs
    skipped: dict[str, str] = field(default_factory=dict)  # linter -> why it does not


def _config_reason(name: str, config: RepoConfig) -> str | None:
    tool = PYPROJECT_TOOL.get(name)
    if tool and config.tool(tool) is not None:
        return f"pyproject.toml [tool.{tool}]"
    for file in TOML_CONFIG.get(name, ()):
        if file in config.present:
            return file
    for file, section in INI_CONFIG.get(name, ()):
        if file in config.present and (section is None or config.section(file, section)):
            return file if section is None else f"{file} [{section}]"
    if name == "ruff-format":
        ruff = config.tool("ruff")
        if ruff is not None and "format" in ruff:
            return "pyproject.toml [tool.ruff.format]"
    return None


def _hook_reasons(config: RepoConfig) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for hook in config.hooks:
        for name in hook_linters(hook):
            reasons.setdefault(name, f".pre-commit-config.yaml hook {hook.id}")
    return reasons


def _requirement_reasons(config: RepoConfig) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for requirement in config.requirements:
        for name in PYTHON_LINTERS:
            linter = LINTERS[name]
            if linter.package == requirement.name and name != "ruff-format":
                reasons.setdefault(name, f"{requirement.source} lists {requirement.name}")
    return reasons


def _file_reasons(files: Sequence[str]) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for name, accepts, what in (
        ("hadolint", dockerfile, "Dockerfile"),
        ("shellcheck", shell_script, "shell script"),
        ("zizmor", workflow_file, "workflow or action file"),
    ):
        found = [path for path in files if accepts(path)]
        if found:
            more = f" and {len(found) - 1} more" if len(found) > 1 else ""
            reasons[name] = f"{what} {found[0]}{more}"
    return reasons


def _enforced(config: RepoConfig) -> dict[str, str]:
    """The linters the repository enforces: configured, a pre-commit hook, or run by CI."""
    hooks = _hook_reasons(config)
    found: dict[str, str] = {}
    for name in LINTERS:
        reason = _config_reason(name, config) or hooks.get(name) or config.ci.get(name)
        if reason:
            found[name] = reason
    return found


def _only_installed(
    enforced: dict[str, str], requirements: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The linters that are only dependencies: those to run, and those skipped because a
    linter of the same kind is enforced (with why)."""
    run: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name, reason in requirements.items():
        if name in enforced:
            continue
        cover = next((other for other in COVERED_BY.get(name, ()) if other in enforced), None)
        if cover is None:
            run[name] = reason
        else:
            skipped[name] = (
                f"only a dependency ({reason}), with no configuration or hook; "
                f"{cover} is enforced ({enforced[cover]}) and covers it"
            )
    return run, skipped


def detect(files: Sequence[str], config: RepoConfig) -> Detection:
    """The linters to run for ``linters: auto``."""
    enforced = _enforced(config)
    installed, skipped = _only_installed(enforced, _requirement_reasons(config))
    reasons = {
        name: enforced.get(name) or installed[name]
        for name in LINTERS
        if name in enforced or name in installed
    }
    if not any(name in reasons for name in PYTHON_LINTERS) and any(map(python_file, files)):
        reasons["ruff"] = "no Python linter configured: ruff's defaults"
        reasons["ruff-format"] = "no Python linter configured: ruff's defaults"
    reasons.update({k: v for k, v in _file_reasons(files).items() if k not in reasons})
    ordered = tuple(name for name in LINTERS if name in reasons)
    return Detection(ordered, {name: reasons[name] for name in ordered}, skipped)
