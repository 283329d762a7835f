"""Hardening #17 items 5-7: what lint runs, from where, and what the repository can inject.

Real linters (the ones in .venv, install: false, or installed from the package index) on real
files: a hostile file name must be linted as a file, a hostile version never reaches the
installer, and our own probes and installs never run in (or obey) the repository.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from shipyard import ACTIONS
from shipyard.lint import config, versions
from shipyard.lint.spec import Settings
from shipyard.runtime import ActionSpec, InputError, parse_settings, run_action
from tests.lint._sample import git, lint, linters_run, make_repo, sarif_findings

PYTHON_SOURCE = 'import sys\nimport os\nVALUE: int = "a"\ny=1\n'
SHELL_SOURCE = "#!/bin/sh\necho $1\n"
DOCKERFILE = "FROM debian\nRUN cd /tmp && echo hi\n"
YAML_SOURCE = "a: 1\na: 2\n"
ACTION_SOURCE = (
    "name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n"
    '    - run: echo "${{ github.event.issue.title }}"\n      shell: bash\n'
)
#: File names that are options of the tool that lints them (or of every tool), each with
#: something for that tool to find. Folders too: a path is an argument as a whole.
HOSTILE = {
    "--extend-ignore=E,F,W,C.py": PYTHON_SOURCE,  # flake8: report nothing (the case)
    "--init-hook=open('hooked','w').py": PYTHON_SOURCE,  # pylint: runs it even after --
    "@args.py": PYTHON_SOURCE,  # mypy: reads its arguments from args.py
    "args.py": "--version\n",
    "--severity=error.sh": SHELL_SOURCE,  # shellcheck: hides the info-level SC2086
    "--ignore=DL3006.dockerfile": DOCKERFILE,
    "-d{extends: relaxed}.yml": YAML_SOURCE,  # yamllint: a config of its own
    "--version/action.yml": ACTION_SOURCE,  # zizmor (and yamllint)
}
#: The tool that must report a finding in each hostile file.
EXPECTED = {
    "--extend-ignore=E,F,W,C.py": (
        "ruff",
        "ruff-format",
        "flake8",
        "black",
        "isort",
        "pylint",
        "mypy",
    ),
    "--init-hook=open('hooked','w').py": ("ruff", "flake8", "black", "isort", "pylint", "mypy"),
    "@args.py": ("ruff", "flake8", "black", "isort", "pylint", "mypy"),
    "--severity=error.sh": ("shellcheck",),
    "--ignore=DL3006.dockerfile": ("hadolint",),
    "-d{extends: relaxed}.yml": ("yamllint",),
    "--version/action.yml": ("zizmor", "yamllint"),
}
ALL_LINTERS = "ruff, ruff-format, flake8, black, isort, pylint, mypy, hadolint, shellcheck, "
ALL_LINTERS += "zizmor, yamllint"


def hostile_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "hostile"
    for name, text in HOSTILE.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hostile names")
    return repo


def test_file_names_never_become_linter_options(tmp_path: Path) -> None:
    """Item 7: every linter, the real tool, a file named like one of its options."""
    repo = hostile_repo(tmp_path)
    result = lint(tmp_path, repo, {"linters": ALL_LINTERS, "fail-on": "never"})
    assert result.code == 0, result.log[-3000:]
    statuses = {name: entry["status"] for name, entry in linters_run(result).items()}
    assert set(statuses.values()) == {"ok"}, (statuses, result.log[-3000:])
    reported = {(tool, unquote(uri)) for tool, _rule, uri, _line in sarif_findings(result)}
    missing = [
        (tool, name)
        for name, tools in EXPECTED.items()
        for tool in tools
        if (tool, name) not in reported
    ]
    assert missing == [], missing
    assert not (repo / "hooked").exists(), "pylint ran an --init-hook named by a file"


def test_fixers_fix_files_named_like_options(tmp_path: Path) -> None:
    repo = hostile_repo(tmp_path)
    inputs = {"linters": "ruff, isort, ruff-format, black", "fix": "true", "fail-on": "never"}
    result = lint(tmp_path, repo, inputs)
    assert result.code == 0, result.log[-3000:]
    for name in ("--extend-ignore=E,F,W,C.py", "@args.py"):
        assert f"+++ b/{name}" in result.outputs["diff"], name
        assert (repo / name).read_text() != PYTHON_SOURCE


# ------------------------------------------------------------------ item 5: repository code


def test_the_python_probe_runs_isolated_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The python probe ran `python3 -c "import json..."` in the workspace, so the repository's
    json.py ran (with the job's secrets in reach) and pylint lost the project's packages."""
    import subprocess
    import sys

    deps = tmp_path / "deps" / "sampledep"
    deps.mkdir(parents=True)
    (deps / "__init__.py").write_text("def answer() -> int:\n    return 42\n")
    project = tmp_path / "projenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project)], check=True)
    (site,) = project.glob("lib/python*/site-packages")
    (site / "sampledep.pth").write_text(str(deps.parent) + "\n")
    repo = make_repo(tmp_path)
    ran = tmp_path / "json-py-ran"
    (repo / "json.py").write_text(
        f"import pathlib\npathlib.Path({str(ran)!r}).write_text('ran')\n"
        "raise SystemExit('a repository json.py ran')\n"
    )
    (repo / "app" / "uses_dep.py").write_text(
        '"""Uses an installed package."""\n\nfrom sampledep import answer\n\nVALUE = answer()\n'
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "json.py")
    monkeypatch.chdir(repo)  # a step starts in the workspace
    inputs = {"linters": "pylint", "fail-on": "never", "paths": "app/uses_dep.py"}
    result = lint(tmp_path, repo, {**inputs, "python": str(project / "bin" / "python")})
    assert result.code == 0, result.log[-3000:]
    assert not ran.exists()
    assert ("pylint", "E0401") not in {(f[0], f[1]) for f in sarif_findings(result)}


def test_pull_request_target_is_refused_unless_acknowledged(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    event = {"GITHUB_EVENT_NAME": "pull_request_target"}
    refused = lint(tmp_path / "refused", repo, {"linters": "ruff"}, env=event)
    assert refused.code == 2
    [error] = refused.annotations("error")
    assert "allow-pull-request-target" in error and "pull_request_target" in error
    assert "::group::" not in refused.log  # nothing ran
    allowed = lint(
        tmp_path / "allowed",
        repo,
        {"linters": "ruff", "allow-pull-request-target": "true", "fail-on": "never"},
        env=event,
    )
    assert allowed.code == 0, allowed.log[-2000:]
    assert linters_run(allowed)["ruff"]["findings"] > 0


def test_other_actions_still_run_on_pull_request_target() -> None:
    """The refusal is lint's alone: the shared runtime runs any action on that event."""
    for action in ACTIONS:
        if action != "lint":
            from importlib import import_module

            spec = import_module(f"shipyard.{action.replace('-', '_')}.spec").SPEC
            assert "allow-pull-request-target" not in {item.name for item in spec.inputs}
    spec = ActionSpec(name="any", title="any", description="any")
    env = {"GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_ACTIONS": "false"}
    assert run_action(spec, lambda ctx: None, [], env=env) == 0


# ------------------------------------------------------------------ item 6: versions


HOSTILE_PYPROJECT = r"""
[project.optional-dependencies]
lint = ["mypy==1.11 --no-binary :all:", "types-requests>=2 ; python_version > '3'"]

[dependency-groups]
dev = ["isort>=0\n--find-links /tmp/wheels"]

[tool.pdm.dev-dependencies]
lint = ["pylint>=0\n-e ."]

[tool.poetry.group.dev.dependencies]
black = { version = ">=0\n--index-url http://127.0.0.1:9/simple" }
"flake8-x\n--index-url http://127.0.0.1:9/simple" = "1.0"
flake8-bugbear = "^24.2"
flake8-builtins = "2.5.*"
"""
HOSTILE_PRE_COMMIT = """
repos:
  - repo: https://github.com/PyCQA/flake8
    rev: 7.1.1
    hooks:
      - id: flake8
        additional_dependencies: ["pep8-naming>=0\\n--index-url http://127.0.0.1:9/simple"]
"""


def test_only_version_specifiers_reach_the_linters_requirements() -> None:
    """Every source of linter versions: what is not a PEP 440 specifier is ignored, noted."""
    files = {
        "pyproject.toml": HOSTILE_PYPROJECT,
        "requirements-dev.txt": "ruff>=0 --no-binary :all:\nyamllint==1.35.1\n",
        ".pre-commit-config.yaml": HOSTILE_PRE_COMMIT,
    }
    repo = config.load(files, files.get)
    noted = sorted(note.split("the version of ")[1].split(" ")[0] for note in repo.problems)
    assert noted == ["black", "isort", "mypy", "pep8-naming", "pylint", "ruff"], repo.problems
    ours = {name: versions.Locked("9.9.9", f"{name}==9.9.9") for name in ("black", "isort")}
    linters = ["black", "isort", "mypy", "pylint", "ruff", "flake8", "yamllint"]
    resolved = versions.resolve(linters, repo, ours, {})
    lines = [line for tool in resolved.values() for line in (*tool.requirements, tool.lock or "")]
    assert not [line for line in lines if "\n" in line or " " in line or "--" in line], lines
    assert resolved["black"].source == "ours (locks/tools/lint)"
    assert resolved["flake8"].requirements == (
        "flake8==7.1.1",
        "flake8-bugbear>=24.2,<25",  # Poetry's caret, as PEP 440
        "flake8-builtins==2.5.*",
    )
    assert resolved["yamllint"].requirements == ("yamllint==1.35.1",)


@pytest.mark.parametrize("value", ["24.1 --index-url=http://x", ">=0", "1.0;x", "v"])
def test_a_versions_input_that_is_not_a_version_exits_2(value: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, {"versions": f"black={value}"})
    assert caught.value.input_name == "versions"


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP port that records what connects to it (an index that must never be asked)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    seen.append(connection.recv(200) or b"(connected)")
                except OSError:
                    seen.append(b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()


def test_the_repository_cannot_point_the_linter_install_at_an_index(
    tmp_path: Path, listener: tuple[int, list[bytes]]
) -> None:
    """A Poetry version carrying `--index-url` (the issue's case) and a uv.toml naming an index
    both pointed uv at the repository's index; the install now uses neither."""
    port, seen = listener
    repo = make_repo(tmp_path)
    index = f"http://127.0.0.1:{port}/simple"
    version = f'">=0\\n--index-url {index}"'  # TOML: a newline, then a pip option
    (repo / "pyproject.toml").write_text(
        f"[tool.poetry.group.dev.dependencies]\nblack = {{ version = {version} }}\n"
    )
    (repo / "uv.toml").write_text(f'index-url = "{index}"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an index of our own")
    result = lint(tmp_path, repo, {"install": "true", "linters": "black", "fail-on": "never"})
    assert seen == [], f"uv asked the repository's index: {seen}"
    assert result.code == 0, result.log[-3000:]
    assert linters_run(result)["black"]["source"] == "ours (locks/tools/lint)"
    [warning] = [w for w in result.annotations("warning") if "the version of black" in w]
    assert "[tool.poetry.group.dev.dependencies]" in warning and index not in warning
