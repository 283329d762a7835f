"""The edges of lint's plan (pure): which linters run and why, which files the paths and
exclude inputs select, which findings are kept, the args input, the project's imports, and
the fixers in their order."""

from __future__ import annotations

import pytest

from shipyard.findings.model import Finding
from shipyard.lint import plan
from shipyard.lint.detect import Detection
from shipyard.lint.plan import Target
from shipyard.lint.spec import Settings
from shipyard.lint.tools import LINTERS
from shipyard.runtime import InputError, parse_settings

DETECTED = Detection(("ruff", "mypy"), {"ruff": "pyproject.toml [tool.ruff]", "mypy": "mypy.ini"})


def settings(**raw: str) -> Settings:
    return parse_settings(Settings, raw)


# ---------------------------------------------------------------- which linters


def test_auto_runs_the_detected_linters_with_their_reasons() -> None:
    names, reasons = plan.choose(settings(linters="auto"), DETECTED)
    assert names == ["ruff", "mypy"]
    assert reasons == {"ruff": "pyproject.toml [tool.ruff]", "mypy": "mypy.ini"}


def test_named_linters_run_in_the_tables_order_whatever_was_detected() -> None:
    names, reasons = plan.choose(settings(linters="mypy, flake8"), DETECTED)
    assert names == ["flake8", "mypy"]
    assert reasons == {"mypy": "the linters input", "flake8": "the linters input"}


def test_auto_and_names_together_keep_the_detected_reason() -> None:
    names, reasons = plan.choose(settings(linters="flake8, auto, ruff"), DETECTED)
    assert names == ["ruff", "flake8", "mypy"]
    assert reasons == {
        "ruff": "pyproject.toml [tool.ruff]",
        "mypy": "mypy.ini",
        "flake8": "the linters input",
    }
    assert plan.choose(settings(linters="auto"), Detection((), {})) == ([], {})


# ---------------------------------------------------------------- paths and exclude


@pytest.mark.parametrize(
    ("pattern", "normal"),
    [
        ("  src/app/  ", "src/app"),
        ("src\\app\\", "src/app"),
        ("././src", "src"),
        ("./", "."),
        ("", "."),
        ("/", "."),
        ("TAX/", "TAX"),
    ],
)
def test_normalise(pattern: str, normal: str) -> None:
    assert plan.normalise(pattern) == normal


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a/b.py", ".", True),
        ("a/b.py", "./", True),
        ("src/app/a.py", "src\\app", True),
        ("src/app/a.py", ".\\src\\app\\a.py", True),
        ("src/app/a.py", "app", True),  # no "/": any folder on the way
        ("src/app/a.py", "src/app/a.py/", True),
        ("lib/src/app/a.py", "src/app", False),  # with "/": from the root
        ("src/application/a.py", "src/app", False),
        ("b/ax/c.py", "a**/x", False),  # "/" within "**/" still anchors at the root
        ("ax/c.py", "a**/x", True),
    ],
)
def test_matches(path: str, pattern: str, expected: bool) -> None:
    assert plan.matches(path, pattern) is expected


FILES = ["docs/conf.py", "src/a.py", "src/gen/b.py", "src/c.py", "tests/t.py"]


@pytest.mark.parametrize(
    ("paths", "exclude", "expected"),
    [
        ([], [], FILES),
        (["src"], [], ["src/a.py", "src/gen/b.py", "src/c.py"]),
        (["src", "tests"], ["gen"], ["src/a.py", "src/c.py", "tests/t.py"]),
        ([], ["src/a.py", "docs"], ["src/gen/b.py", "src/c.py", "tests/t.py"]),
        (["nothing"], [], []),
    ],
)
def test_select(paths: list[str], exclude: list[str], expected: list[str]) -> None:
    assert plan.select(FILES, paths, exclude) == expected


def test_targets_without_own_excludes() -> None:
    targets = plan.targets(["flake8", "black"], ["a.py", "b.md"], None, [])
    assert targets == [
        Target("flake8", ("a.py",), None),
        Target("black", ("a.py",), None),
    ]
    changed = plan.targets(["flake8"], ["a.py", "b.py"], ["b.py", "z.py"], [], {"flake8": ()})
    assert changed == [Target("flake8", ("b.py",), None)]


def test_targets_within_the_files_a_linters_configuration_names() -> None:
    """mypy's configured files: the selected files among them, none passed (own_files),
    the other linters untouched; whole-project under only-changed keeps them too."""
    selected = ["src/a.py", "src/b.py", "tests/t.py", "setup.py"]
    own = {"mypy": ("src", "setup.py")}
    assert plan.targets(["mypy", "ruff"], selected, None, [], None, own) == [
        Target("mypy", ("src/a.py", "src/b.py", "setup.py"), None, True),
        Target("ruff", tuple(selected), None, False),
    ]
    changed = plan.targets(["mypy"], selected, ["tests/t.py", "src/b.py"], ["mypy"], None, own)
    assert changed == [
        Target("mypy", ("src/a.py", "src/b.py", "setup.py"), frozenset({"src/b.py"}), True)
    ]
    # only tests changed: nothing of mypy's files changed, it does not run
    idle = plan.targets(["mypy"], selected, ["tests/t.py"], ["mypy"], None, own)
    assert idle == [Target("mypy", (), frozenset(), True)]
    assert plan.targets(["mypy"], selected, None, [], None, {"ruff": ("src",)}) == [
        Target("mypy", tuple(selected), None, False)
    ]


def test_discovered_narrows_the_named_linters_to_what_they_find_themselves() -> None:
    before = [Target("ruff", ("a.py", "data/x.py"), None), Target("black", ("data/x.py",), None)]
    assert plan.discovered(before, ["ruff"], {"a.py"}) == [
        Target("ruff", ("a.py",), None),
        Target("black", ("data/x.py",), None),
    ]


def test_skipped_linters_are_said_for_auto_unless_named() -> None:
    detection = Detection(
        ("ruff",), {"ruff": "ruff.toml"}, {"flake8": "covered by ruff", "black": "covered"}
    )
    assert plan.skipped(settings(linters="auto"), detection) == detection.skipped
    assert plan.skipped(settings(linters="auto, black"), detection) == {"flake8": "covered by ruff"}
    assert plan.skipped(settings(linters="ruff"), detection) == {}


# ---------------------------------------------------------------- which findings are kept


def _at(file: str | None) -> Finding:
    return Finding("mypy", "x", "error", f"in {file}", file=file, line=1 if file else None)


def test_keep_the_selection_and_for_whole_project_linters_the_changed_files() -> None:
    findings = [_at("a.py"), _at("b.py"), _at("site-packages/x.py"), _at(None)]
    selected = frozenset({"a.py", "b.py"})
    everything = Target("mypy", ("a.py", "b.py"), None)
    assert plan.keep(findings, everything, selected) == [findings[0], findings[1], findings[3]]
    changed_only = Target("mypy", ("a.py", "b.py"), frozenset({"b.py"}))
    assert plan.keep(findings, changed_only, selected) == [findings[1]]  # unplaced: not changed
    assert plan.keep([], changed_only, selected) == []


# ---------------------------------------------------------------- args and imports


def test_args_are_split_like_a_shell_would() -> None:
    assert plan.split_args("--select E,W --ignore 'E 1' \"x y\"", "ruff") == (
        "--select",
        "E,W",
        "--ignore",
        "E 1",
        "x y",
    )
    assert plan.split_args("", "ruff") == ()
    with pytest.raises(InputError) as caught:
        plan.split_args("--ignore 'E1", "flake8")
    assert caught.value.input_name == "args"
    assert caught.value.message == "Input 'args': flake8: No closing quotation"


def test_extra_args_are_the_imports_then_the_linters_own_args() -> None:
    chosen = settings(args="mypy=--strict --no-color\nruff=--fix")
    imports = {"mypy": ("--python-executable", "/venv/bin/python")}
    assert plan.extra_args(chosen, "mypy", imports) == (
        "--python-executable",
        "/venv/bin/python",
        "--strict",
        "--no-color",
    )
    assert plan.extra_args(chosen, "ruff", imports) == ("--fix",)
    assert plan.extra_args(chosen, "pylint", imports) == ()
    with pytest.raises(InputError) as caught:  # the settings refuse it before any plan
        settings(args="isort=--profile 'black")
    assert caught.value.message == "Input 'args': isort: No closing quotation"


def test_import_args_give_mypy_the_interpreter_and_pylint_its_path() -> None:
    assert plan.import_args(None, ["/x"]) == {}
    assert plan.import_args("/venv/bin/python", None) == {
        "mypy": ("--python-executable", "/venv/bin/python")
    }
    assert plan.import_args("/venv/bin/python", []) == {
        "mypy": ("--python-executable", "/venv/bin/python")
    }
    assert plan.import_args("/py", ["/a", "/b c"]) == {
        "mypy": ("--python-executable", "/py"),
        "pylint": ("--init-hook=import sys; sys.path.extend(['/a', '/b c'])",),
    }


# ---------------------------------------------------------------- the fixers


def test_fixers_run_imports_first_then_formatters_on_their_files() -> None:
    targets = [
        Target("black", ("b.py",), None),
        Target("flake8", ("f.py",), None),  # no fixer
        Target("ruff", (), None),  # nothing to fix
        Target("isort", ("a.py", "b.py"), None),
    ]
    executables = {"black": "/bin/black", "isort": "/bin/isort", "flake8": "/bin/flake8"}
    assert plan.fixes(targets, executables) == [
        ("isort", LINTERS["isort"].fix_argv("/bin/isort", ("a.py", "b.py"))),
        ("black", LINTERS["black"].fix_argv("/bin/black", ("b.py",))),
    ]
    assert plan.fixes([Target("flake8", ("f.py",), None)], executables) == []
    assert plan.fixed_files(targets) == ["a.py", "b.py"]
    assert plan.fixed_files([Target("flake8", ("f.py",), None)]) == []
