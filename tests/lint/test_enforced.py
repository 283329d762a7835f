"""What the repository enforces, not what it installs: CI commands, dependency-only linters
covered by an enforced one, mypy's configured files, ruff's own discovery."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from shipyard.findings.kinds import workflow_file
from shipyard.lint import config, detect, plan
from shipyard.lint.enforced import command_linters, from_tox, from_workflow
from shipyard.lint.spec import Settings
from shipyard.runtime import parse_settings
from tests.lint._sample import git, lint, linters_run, make_repo, sarif_findings


def load(files: Mapping[str, str]) -> config.RepoConfig:
    return config.load(files, files.get)


@pytest.mark.parametrize(
    ("line", "linters"),
    [
        ("ruff check .", ["ruff"]),
        ("ruff format --check .", ["ruff-format"]),
        ("ruff --fix src && ruff format --diff", ["ruff", "ruff-format"]),
        ("python -m mypy --strict src", ["mypy"]),
        ("uv run --frozen black --check . ; .venv/bin/isort -c .", ["black", "isort"]),
        ("poetry run flake8 | tee out.txt", ["flake8"]),
        ("CI=1 pre-commit run pylint --all-files", ["pylint"]),
        ("pip install ruff black  # installs, runs nothing", []),
        ("echo mypy", []),
        ("{envpython} -m pylint app", ["pylint"]),
    ],
)
def test_command_lines_are_read_for_the_linters_they_run(line: str, linters: list[str]) -> None:
    assert command_linters(line) == linters


def test_workflows_and_tox_commands() -> None:
    workflow = """
jobs:
  lint:
    steps:
      - uses: actions/checkout@v4
      - run: |
          pip install -e '.[test]'
          ruff check .
          ruff format --check \\
            .
      - run: mypy
"""
    assert from_workflow(workflow) == ["ruff", "ruff-format", "mypy"]
    assert from_workflow("jobs: [not: a workflow") == []
    tox = "[tox]\nenvlist = lint\n[testenv:lint]\ncommands =\n    flake8 .\n    isort --check .\n"
    assert from_tox(tox) == ["flake8", "isort"]


#: This repository's shape: ruff and mypy configured, ruff format run by CI, the other
#: linters only development dependencies (the test bed needs them).
OURS = {
    "pyproject.toml": """
[project.optional-dependencies]
test = ["ruff>=0.6", "mypy>=1.10", "flake8>=7.0", "black>=24.1", "isort>=5.13", "pylint>=3.0"]
[tool.ruff]
line-length = 100
[tool.mypy]
files = ["src"]
""",
    ".github/workflows/ci.yml": (
        "name: ci\non: push\npermissions: {}\njobs:\n  lint:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: ruff format --check .\n"
    ),
    "src/app.py": "",
}


def test_dependency_only_linters_covered_by_an_enforced_one_are_skipped_with_why() -> None:
    found = detect.detect(list(OURS), load(OURS))
    assert found.linters == ("ruff", "ruff-format", "mypy", "zizmor")
    assert found.reasons["ruff-format"] == ".github/workflows/ci.yml runs ruff format"
    assert set(found.skipped) == {"flake8", "black", "isort", "pylint"}
    assert found.skipped["black"] == (
        "only a dependency (pyproject.toml [project.optional-dependencies] test lists black), "
        "with no configuration or hook; ruff-format is enforced (.github/workflows/ci.yml runs "
        "ruff format) and covers it"
    )
    # without ruff format enforced anywhere, black (the only formatter it lists) still runs
    alone = {**OURS, ".github/workflows/ci.yml": ""}
    assert "black" in detect.detect(list(alone), load(alone)).linters


def test_a_dependency_only_linter_runs_when_nothing_covers_it() -> None:
    files = {"requirements-dev.txt": "flake8==7.1.1\n", "app.py": ""}
    found = detect.detect(list(files), load(files))
    assert found.linters == ("flake8",) and not found.skipped


def test_the_linters_input_still_forces_a_skipped_linter() -> None:
    detection = detect.detect(list(OURS), load(OURS))
    forced = parse_settings(Settings, {"linters": "auto, flake8"})
    names, reasons = plan.choose(forced, detection)
    assert "flake8" in names and reasons["flake8"] == "the linters input"
    assert set(plan.skipped(forced, detection)) == {"black", "isort", "pylint"}
    assert plan.skipped(parse_settings(Settings, {"linters": "ruff"}), detection) == {}


def test_mypy_lints_the_files_its_configuration_names() -> None:
    assert load(OURS).mypy_files == ("src",)
    ini = {"setup.cfg": "[mypy]\nfiles = src, tools/x.py\n"}
    assert load(ini).mypy_files == ("src", "tools/x.py")
    targets = plan.targets(["mypy"], ["src/a.py", "tests/a.py"], None, [], {}, {"mypy": ("src",)})
    assert targets == [plan.Target("mypy", ("src/a.py",), None, own_files=True)]


def test_only_the_roots_workflows_are_workflows() -> None:
    assert workflow_file(".github/workflows/ci.yml")
    assert not workflow_file("tests/data/sample/.github/workflows/ci.yml")
    assert not workflow_file(".github/workflows/sub/ci.yml")
    assert workflow_file("deep/action.yml")


def test_ruff_gets_the_files_ruff_finds_from_the_root(tmp_path: Path) -> None:
    """A folder the root's configuration excludes but that has its own pyproject.toml: ruff
    handed its files (even with --force-exclude) reads the nearer configuration and lints
    them; the project's ``ruff check .`` does not."""
    repo = make_repo(tmp_path)
    nested = repo / "fixtures" / "seeded"
    nested.mkdir(parents=True)
    (nested / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    (nested / "bad.py").write_text("import os\n")
    with (repo / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.ruff.lint]\nselect = ["F"]\n')
    text = (repo / "pyproject.toml").read_text()
    (repo / "pyproject.toml").write_text(
        text.replace(
            'extend-exclude = ["app/migrations"]', 'extend-exclude = ["app/migrations", "fixtures"]'
        )
    )
    git(repo, "add", "-A")
    result = lint(tmp_path, repo, {"linters": "ruff", "fail-on": "never"})
    files = {f[2] for f in sarif_findings(result)}
    assert "app/models.py" in files and "fixtures/seeded/bad.py" not in files


def test_on_a_repository_like_ours_the_action_runs_what_ci_runs(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for path, text in {**OURS, "src/app.py": "VALUE: int = 1\n", "tests/__init__.py": ""}.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    (repo / "examples" / "tests").mkdir(parents=True)
    (repo / "examples" / "tests" / "__init__.py").write_text("")  # a second "tests" module
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    result = lint(tmp_path, repo)
    assert result.code == 0, result.log[-3000:]
    assert set(linters_run(result)) == {"ruff", "ruff-format", "mypy", "zizmor"}
    assert linters_run(result)["mypy"]["files"] == 1
    assert "Not run: flake8: only a dependency" in result.summary
    assert "flake8: not run: only a dependency" in result.log
