"""The action on the sample repository: real linters on real files (install: false)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.lint._sample import lint, linters_run, make_repo, sarif_findings

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

EXPECTED = {
    ("ruff", "F401", "app/models.py", 1),
    ("ruff", "F841", "app/models.py", 5),
    ("flake8", "F401", "app/models.py", 1),
    ("flake8", "E501", "app/models.py", 6),
    ("black", "format", "app/formatting.py", 6),
    ("isort", "import-order", "app/formatting.py", 1),
    ("pylint", "W0102", "app/defaults.py", 1),
    ("mypy", "return-value", "app/typed.py", 2),
    ("hadolint", "DL3006", "Dockerfile", 1),
    ("hadolint", "DL3003", "Dockerfile", 3),
    ("shellcheck", "SC2164", "scripts/deploy.sh", 3),
    ("shellcheck", "SC2086", "scripts/deploy.sh", 4),
    ("zizmor", "template-injection", ".github/workflows/greet.yml", 11),
    ("yamllint", "key-duplicates", "config/settings.yml", 2),
    ("yamllint", "trailing-spaces", "config/settings.yml", 4),
}
ALL = {
    "ruff",
    "flake8",
    "black",
    "isort",
    "pylint",
    "mypy",
    "hadolint",
    "shellcheck",
    "zizmor",
    "yamllint",
}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("full")
    return lint(tmp, make_repo(tmp))


def test_every_seeded_finding_at_its_file_line_and_rule(full_run) -> None:  # type: ignore[no-untyped-def]
    found = sarif_findings(full_run)
    assert found >= EXPECTED, sorted(EXPECTED - found)
    # flake8 honours its own exclude (migrations), ruff and mypy theirs.
    assert not [f for f in found if "migrations" in f[2]]
    assert full_run.code == 1
    assert "title=lint%3A findings" in full_run.log


def test_detection_and_outputs(full_run) -> None:  # type: ignore[no-untyped-def]
    runs = linters_run(full_run)
    assert set(runs) == ALL  # ruff-format is not configured: not run
    assert all(entry["status"] == "ok" for entry in runs.values()), runs
    assert runs["hadolint"]["files"] == 1 and runs["zizmor"]["files"] == 1
    assert int(full_run.outputs["findings"]) == sum(e["findings"] for e in runs.values())
    assert int(full_run.outputs["errors"]) > 0 and int(full_run.outputs["warnings"]) > 0
    summary = full_run.summary
    assert "pyproject.toml [tool.black]" in summary and ".flake8" in summary
    assert "Dockerfile Dockerfile" in summary  # why hadolint ran
    assert "app/models.py" in summary


def test_sarif_is_valid_2_1_0_with_one_run_per_tool(full_run) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(Path(full_run.outputs["sarif-file"]).read_text())
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    assert sorted(r["tool"]["driver"]["name"] for r in document["runs"]) == sorted(ALL)
    total = sum(len(r["results"]) for r in document["runs"])
    assert total == int(full_run.outputs["findings"])


def test_annotations_at_most_ten_per_kind_and_rest_counted(full_run) -> None:  # type: ignore[no-untyped-def]
    errors = full_run.annotations("error")
    # ten in all (GitHub shows no more): nine findings and the runtime's verdict
    assert len(errors) == 10 and errors[-1].startswith("::error title=lint%3A findings")
    assert int(full_run.outputs["errors"]) > 10
    assert len(full_run.annotations("warning")) <= 10
    assert "not shown as annotations" in full_run.summary
    assert "file=app/models.py,line=6" in full_run.log or "file=app/models.py" in full_run.log


@pytest.mark.parametrize(
    ("inputs", "code"),
    [
        ({"fail-on": "never"}, 0),
        ({"linters": "hadolint, shellcheck", "fail-on": "error"}, 0),  # warnings and notes only
        ({"linters": "hadolint, shellcheck", "fail-on": "warning"}, 1),
        ({"linters": "flake8, black", "informational": "flake8, black"}, 0),
        ({"linters": "flake8, black", "informational": "black"}, 1),
    ],
)
def test_exit_codes_per_fail_on_and_informational(
    tmp_path: Path, inputs: dict[str, str], code: int
) -> None:
    result = lint(tmp_path, make_repo(tmp_path), inputs)
    assert result.code == code, result.log[-3000:]


def test_informational_findings_are_at_most_warnings(tmp_path: Path) -> None:
    result = lint(tmp_path, make_repo(tmp_path), {"linters": "flake8", "informational": "flake8"})
    assert result.code == 0
    assert not result.annotations("error")
    assert any("title=flake8 E501" in line for line in result.annotations("warning"))


def test_a_misconfigured_linter_fails_with_its_name(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / ".flake8").write_text("[flake8]\nmax-line-length = lots\n")
    result = lint(tmp_path, repo, {"linters": "flake8, shellcheck", "fail-on": "never"})
    assert result.code == 1
    assert "title=lint%3A flake8 failed to run" in result.log
    assert "flake8 did not run properly" in result.log
    assert "lots" in result.summary  # the output's tail
    assert linters_run(result)["shellcheck"]["status"] == "ok"


def test_a_crash_of_an_informational_linter_is_a_warning(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    result = lint(
        tmp_path,
        repo,
        {"linters": "pylint", "informational": "pylint", "args": "pylint=--no-such-option"},
    )
    assert result.code == 0
    assert any("pylint did not run properly" in line for line in result.annotations("warning"))


def test_paths_and_exclude_narrow_the_files(tmp_path: Path) -> None:
    result = lint(
        tmp_path,
        make_repo(tmp_path),
        {"linters": "flake8, shellcheck", "paths": "app", "exclude": "app/models.py"},
    )
    runs = linters_run(result)
    assert "shellcheck" not in runs  # no file left for it
    assert {f[2] for f in sarif_findings(result)} == {"app/formatting.py"}


def test_fix_applies_the_formatters_and_outputs_the_diff(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    result = lint(tmp_path, repo, {"linters": "black, isort", "fix": "true"})
    assert result.code == 0, result.log[-2000:]
    assert (
        "+import json" in result.outputs["diff"] and "a/app/formatting.py" in result.outputs["diff"]
    )
    assert (repo / "app" / "formatting.py").read_text().startswith("import json\nimport sys\n")
    assert result.outputs["findings"] == "0"
    assert Path(result.outputs["diff-file"]).read_text() == result.outputs["diff"]


def test_mypy_and_pylint_see_the_packages_of_the_projects_python(tmp_path: Path) -> None:
    import subprocess
    import sys

    deps = tmp_path / "deps" / "sampledep"
    deps.mkdir(parents=True)
    (deps / "__init__.py").write_text("def answer() -> int:\n    return 42\n")
    (deps / "py.typed").write_text("")
    project = tmp_path / "projenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project)], check=True)
    (site,) = project.glob("lib/python*/site-packages")
    (site / "sampledep.pth").write_text(str(deps.parent) + "\n")
    repo = make_repo(tmp_path)
    (repo / "app" / "uses_dep.py").write_text(
        '"""Uses an installed package."""\n\n'
        "from sampledep import answer\n\nVALUE: str = answer()\n"
    )
    inputs = {"linters": "mypy, pylint", "paths": "app/uses_dep.py", "fail-on": "never"}
    seen = lint(tmp_path / "with", repo, {**inputs, "python": str(project / "bin" / "python")})
    found = {(f[0], f[1]) for f in sarif_findings(seen)}
    assert ("mypy", "assignment") in found, found
    assert ("pylint", "E0401") not in found
    blind = lint(tmp_path / "without", repo, {**inputs, "python": "none"})
    found = {(f[0], f[1]) for f in sarif_findings(blind)}
    assert ("mypy", "import-not-found") in found and ("pylint", "E0401") in found, found


def test_the_linters_caches_live_in_the_cache_folder_but_blacks(tmp_path: Path) -> None:
    result = lint(
        tmp_path, make_repo(tmp_path), {"linters": "black, ruff, mypy", "fail-on": "never"}
    )
    assert result.code == 0
    caches = tmp_path / "tool-cache" / "shipyard" / "lint" / "caches" / "your-org_app"
    for folder in ("findings", "ruff", "mypy"):
        assert any((caches / folder).rglob("*")), folder
    # black's cache is a pickle (reading one runs code): it is kept for the run only
    assert not (caches / "black").exists()
    assert any((tmp_path / "runner-temp" / "shipyard-lint" / "caches" / "black").rglob("*"))
