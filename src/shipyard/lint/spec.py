"""The lint action's inputs and outputs: the contract, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import ActionSpec, InputError, KeyValues, Output
from shipyard.runtime.settings import Duration, Secret, setting

from .tools import LINTERS

NAMES = ", ".join(LINTERS)


def _check_names(input_name: str, names: list[str] | KeyValues, allow_auto: bool = False) -> None:
    for name in names:
        if name in LINTERS or (allow_auto and name == "auto"):
            continue
        raise InputError(input_name, f"unknown linter {name!r}; known: {NAMES}.")


def _check_versions(versions: KeyValues) -> None:
    from .config import version_spec

    for name, version in versions.items():
        if not version.lstrip("v=") or version_spec(f"=={version.lstrip('v=')}") is None:
            raise InputError(
                "versions", f"{name}: {version!r} is not a version (PEP 440, e.g. 24.10.0)."
            )


def _check_args(args: KeyValues) -> None:
    from .plan import split_args

    for name, text in args.items():
        split_args(text, name)


@dataclass(frozen=True)
class Settings:
    """The lint action's inputs, typed and checked."""

    linters: list[str] = setting(
        f"auto (what the repository configures; the summary says why) or a list of: {NAMES}. "
        "A list with auto adds to what is detected.",
        default="auto",
    )
    paths: list[str] = setting(
        "Lint only these files, folders or globs (relative to working-directory). "
        "Default: every file of the repository (git's tracked and unignored files)."
    )
    exclude: list[str] = setting(
        "Files, folders or globs never linted, on top of the linters' own excludes "
        "(which are honoured)."
    )
    only_changed: Literal["auto", "true", "false"] = setting(
        "auto: on pull_request events only the files the pull request changes, everything "
        "elsewhere. From git when the base commit is in the checkout, else from the PR files "
        "API (a shallow checkout is fine).",
        default="auto",
    )
    whole_project: list[str] = setting(
        "Linters that need the whole project (cross-module checks): with only-changed they "
        "still run on every file, and report only the findings in changed files. Empty: "
        "they lint only the changed files too.",
        default="mypy, pylint",
    )
    fail_on: Literal["error", "warning", "never"] = setting(
        "Fail the step (exit 1) on findings of this severity or worse. Formatter diffs are errors.",
        default="error",
    )
    informational: list[str] = setting(
        "Linters that report (at most as warnings) but never fail the step."
    )
    fix: bool = setting(
        "Run the fixers (ruff --fix, ruff format, black, isort; those selected), leave the "
        "changes in the workspace and output the diff; then lint what is left.",
        default="false",
    )
    install: bool = setting(
        "Install each linter into a cached venv in the tool cache (keyed by its version). "
        "false: use the linters on PATH (installed by an earlier step).",
        default="true",
    )
    python: str = setting(
        "The project's Python, with its dependencies installed: mypy gets it as "
        "--python-executable and pylint its sys.path, so imports of installed packages "
        "resolve. auto: python3 (or python) on PATH; none: neither.",
        default="auto",
    )
    versions: KeyValues = setting(
        "Versions that win over the repository's pins and ours, as 'linter=version' lines "
        "(e.g. black=24.10.0)."
    )
    args: KeyValues = setting(
        "Extra command-line arguments per linter, as 'linter=arguments' lines "
        "(e.g. flake8=--max-complexity 12). Split like a shell would, never run by one."
    )
    working_directory: str = setting(
        "The project to lint (a folder of the workspace).", default="."
    )
    sarif_file: str = setting(
        "Where to write the SARIF file (one run per linter). Default: in RUNNER_TEMP."
    )
    timeout: Duration = setting("Time limit of each linter.", default="15m")
    github_token: Secret = setting(
        "Token for the pull request files API (only-changed or changed-lines-only on a "
        "shallow checkout) and for review comments (review).",
        yaml_default="${{ github.token }}",
    )
    allow_pull_request_target: bool = setting(
        "Run on pull_request_target events. lint executes code from the checkout (linter "
        "plugins, pylint's init-hook, mypy plugins); on pull_request_target the job holds the "
        "base repository's secrets and a write token. Set true only if the checkout is not "
        "the pull request's code (see Security in the README).",
        default="false",
    )
    cache: bool = setting(
        "Cache the findings of per-file linters (ruff, ruff format, flake8, black, isort, "
        "hadolint, yamllint) by linter version, configuration, arguments and each file's "
        "content, so that a run lints only the files that changed; mypy and ruff keep their "
        "own caches there too. false: nothing is read from or kept for later runs.",
        default="true",
    )
    cache_dir: str = setting(
        "Where the cache lives; a folder of yours is yours to keep across jobs (see the README). "
        "Default: in the runner's tool cache, per repository, which the action keeps in "
        "GitHub's cache service itself."
    )
    changed_lines_only: bool = setting(
        "On pull requests, only findings on lines the pull request adds or changes are "
        "annotated, failing in the SARIF and fail the step; the others are counted as existing "
        "(SARIF: baselineState unchanged, level note). A formatter's finding counts when a "
        "changed line meets the lines it would change. Lines from git (the linted files against "
        "the merge base with the base commit) or the PR files API's patches.",
        default="false",
    )
    review: Literal["none", "comments", "suggestions"] = setting(
        "On pull requests, post one review with a comment per finding on a line the pull "
        "request changes; suggestions: formatter findings carry a suggestion block to apply "
        "in one click. A re-run posts only new comments. Needs pull-requests: write (without "
        "it: a warning).",
        default="none",
    )

    def __post_init__(self) -> None:
        _check_names("linters", self.linters, allow_auto=True)
        _check_names("informational", self.informational)
        _check_names("whole-project", self.whole_project)
        _check_names("versions", self.versions)
        _check_versions(self.versions)
        _check_names("args", self.args)
        _check_args(self.args)


SPEC = ActionSpec(
    name="lint",
    title="shipyard lint",
    description=(
        "Run every linter the repository configures (ruff, flake8, black, isort, pylint, mypy, "
        "hadolint, shellcheck, zizmor, yamllint) in parallel, with findings as annotations, "
        "in the job summary and in SARIF."
    ),
    branding=("check-square", "green"),
    # the linters' venvs and the findings cache (<tool cache>/shipyard/lint), and uv, which
    # installs the linters; saved per commit
    cache_paths=("shipyard/lint", "shipyard/uv"),
    cache_rotate="sha",
    settings=Settings,
    outputs=(
        Output(
            "findings",
            "Number of findings (all linters, after only-changed filtering; with "
            "changed-lines-only, those on the changed lines).",
        ),
        Output("errors", "Number of findings of severity error."),
        Output("warnings", "Number of findings of severity warning."),
        Output(
            "sarif-file", "Path of the SARIF 2.1.0 file (for github/codeql-action/upload-sarif)."
        ),
        Output(
            "linters-run",
            "JSON list: each linter's tool, version, source of the version, files, findings, "
            "seconds, exit code and status.",
        ),
        Output(
            "diff",
            "With fix: the unified diff of the fixes (empty when nothing changed; cut at "
            "256 KiB, see diff-file).",
        ),
        Output("diff-file", "With fix: the path of a file with the whole diff."),
        Output(
            "cached-files",
            "Number of files whose findings came from the cache instead of a linter (counted "
            "per linter).",
        ),
    ),
)
