"""scripts/bootstrap.sh --cache-plan, for real (the scratch repo of tests/test_bootstrap.py):
the outputs the actions' actions/cache steps read, when the cache is used, and the run step's
``shipyard-venv=ready`` that lets the save step keep only a complete venv (issue 23 item 2).
The round trip through the cache service is tests/e2e/test_cache_act.py."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.test_bootstrap import env, repo, run, uv_cache, venvs  # noqa: F401 (fixtures)

DELIMITED = re.compile(r"^([\w-]+)<<(ghadelimiter_\d+)\n(.*?)\n\2$", re.MULTILINE | re.DOTALL)


def plan(
    checkout: Path, environ: Mapping[str, str], tmp_path: Path, action: str = "notify", **extra: str
) -> dict[str, str]:
    """The outputs ``bootstrap.sh --cache-plan <action>`` writes (it never fails the step)."""
    output = tmp_path / "github_output"
    output.write_text("")
    argv = ["--cache-plan", action]
    result = run(checkout, argv, {**environ, "GITHUB_OUTPUT": str(output), **extra})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # no annotation: planning never fails a step
    return {name: value for name, _, value in DELIMITED.findall(output.read_text())}


@pytest.fixture
def hosted(env: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """GitHub's runner (not act): the cache is wanted with no configuration."""
    hosted = {k: v for k, v in env.items() if k not in {"ACT", "ACTIONS_CACHE_URL"}}
    return {**hosted, "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64"}


def test_a_fresh_hosted_runner_plans_a_restore_of_the_venv(
    repo: Path,  # noqa: F811
    hosted: dict[str, str],
    tmp_path: Path,
) -> None:
    outputs = plan(repo, hosted, tmp_path)
    assert outputs["restore"] == "true"
    prefix = outputs["restore-keys"]
    assert re.fullmatch(r"shipyard-linux-x64-[0-9a-f]{16}-venv-", prefix)
    assert outputs["key"] == prefix + "notify"
    root = Path(hosted["RUNNER_TOOL_CACHE"]) / "shipyard"
    assert re.fullmatch(re.escape(str(root)) + r"/venv-[0-9a-f]{16}", outputs["paths"])
    # the key follows the locks (and the tool cache's path, which a venv records)
    (repo / "locks" / "deploy.txt").write_text("# changed\n", encoding="utf-8")
    assert plan(repo, hosted, tmp_path)["key"] != outputs["key"]


def test_lint_and_audit_keys_move_on_and_fall_back(
    repo: Path,  # noqa: F811
    hosted: dict[str, str],
    tmp_path: Path,
) -> None:
    (repo / "src" / "shipyard" / "lint").mkdir()
    (repo / "src" / "shipyard" / "lint" / "__main__.py").write_text("")
    sha = {"SHIPYARD_CACHE_ROTATE": "sha", "GITHUB_SHA": "abc123"}
    outputs = plan(repo, hosted, tmp_path, "lint", SHIPYARD_CACHE_PATHS="shipyard/lint ../x", **sha)
    venvs_only = plan(repo, hosted, tmp_path)["restore-keys"]
    prefix = venvs_only.removesuffix("venv-")
    assert outputs["key"] == f"{prefix}lint-abc123"
    # its own newest entry, else any action's venv (never audit's databases, say)
    assert outputs["restore-keys"].splitlines() == [f"{prefix}lint-", venvs_only]
    tool_cache = hosted["RUNNER_TOOL_CACHE"]
    assert outputs["paths"].splitlines()[1:] == [f"{tool_cache}/shipyard/lint"]  # not ../x
    day = plan(
        repo, hosted, tmp_path, "lint", SHIPYARD_CACHE_ROTATE="day", SHIPYARD_CACHE_PATHS="x"
    )
    assert re.fullmatch(re.escape(prefix) + r"lint-\d{4}-\d{2}-\d{2}", day["key"])


def test_no_restore_where_there_is_no_cache_service_the_opt_out_or_a_complete_venv(
    repo: Path,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    hosted: dict[str, str],
    tmp_path: Path,
) -> None:
    local = {k: v for k, v in env.items() if k not in {"GITHUB_ACTIONS", "ACTIONS_CACHE_URL"}}
    assert plan(repo, local, tmp_path) == {"restore": "false"}
    act = {**hosted, "ACT": "true"}  # act without its cache server
    assert plan(repo, act, tmp_path) == {"restore": "false"}
    assert plan(repo, {**act, "ACTIONS_CACHE_URL": "http://127.0.0.1:1/"}, tmp_path)["restore"]
    assert plan(repo, hosted, tmp_path, SHIPYARD_CACHE="false") == {"restore": "false"}
    assert plan(repo, local, tmp_path, SHIPYARD_CACHE="true")["restore"] == "true"
    # a venv complete here (self-hosted, act's tool cache): nothing to restore or save
    assert run(repo, ["notify"], hosted).returncode == 0
    assert plan(repo, hosted, tmp_path) == {"restore": "false"}


def test_a_bad_opt_out_value_is_an_error_naming_it(
    repo: Path,  # noqa: F811
    hosted: dict[str, str],
) -> None:
    result = run(repo, ["--cache-plan", "notify"], {**hosted, "SHIPYARD_CACHE": "sometimes"})
    assert result.returncode == 2
    assert result.stdout == (
        "::error title=shipyard bootstrap::SHIPYARD_CACHE must be auto, true or false, "
        "not 'sometimes'\n"
    )


def test_no_python_is_no_restore_and_the_run_step_reports_it(
    repo: Path,  # noqa: F811
    hosted: dict[str, str],
    tmp_path: Path,
) -> None:
    missing = {**hosted, "SHIPYARD_PYTHON": str(tmp_path / "nope")}
    assert plan(repo, missing, tmp_path) == {"restore": "false"}
    assert run(repo, ["notify"], missing).returncode == 2


def test_the_run_step_says_ready_once_the_venv_is_complete_and_python_never_sees_it(
    repo: Path,  # noqa: F811
    hosted: dict[str, str],
    tmp_path: Path,
) -> None:
    (repo / "src" / "shipyard" / "notify" / "__main__.py").write_text(
        "import json, os; print(json.dumps(sorted(k for k in os.environ if 'CACHE' in k)))"
    )
    output = tmp_path / "github_output"
    output.write_text("")
    with_output = {**hosted, "GITHUB_OUTPUT": str(output)}
    result = run(repo, ["notify"], {**with_output, "SHIPYARD_CACHE_REPORT": "true"})
    assert result.returncode == 0, result.stderr
    assert output.read_text() == "shipyard-venv=ready\n"
    assert "SHIPYARD_CACHE_REPORT" not in json.loads(result.stdout)
    output.write_text("")
    assert run(repo, ["notify"], {**with_output, "SHIPYARD_CACHE_REPORT": "false"}).returncode == 0
    assert output.read_text() == ""
    # an install that fails writes nothing: the save step never keeps a half-installed venv
    assert len(venvs(hosted)) == 1
    (repo / "locks" / "notify.txt").write_text(
        "nosuchpackage==1.0 --hash=sha256:" + "0" * 64 + "\n"
    )
    failed = run(repo, ["notify"], {**with_output, "SHIPYARD_CACHE_REPORT": "true"})
    assert failed.returncode == 3 and output.read_text() == ""


def test_a_pull_request_target_job_restores_but_never_saves(
    repo: Path,  # noqa: F811
    hosted: dict[str, str],
    tmp_path: Path,
) -> None:
    """Its caches are the base branch's, which later pushes restore with their secrets, and it
    may have run the pull request's code before the step: no cache entry from it."""
    assert plan(repo, hosted, tmp_path, GITHUB_EVENT_NAME="push")["save"] == "true"
    outputs = plan(repo, hosted, tmp_path, GITHUB_EVENT_NAME="pull_request_target")
    assert outputs["restore"] == "true" and outputs["save"] == "false"


def test_a_cache_not_wanted_is_planned_before_any_interpreter_is_looked_for(
    repo: Path,  # noqa: F811
    hosted: dict[str, str],
    tmp_path: Path,
) -> None:
    """SHIPYARD_CACHE=false, or act without a cache service: no Python is started (or even
    looked for) to plan nothing; where the cache is wanted, the interpreter is found as ever."""
    probed = tmp_path / "probed"
    python = tmp_path / "python3"
    python.write_text(f'#!/bin/sh\necho "$@" >> "{probed}"\nexit 1\n')
    python.chmod(0o755)
    odd = {**hosted, "SHIPYARD_PYTHON": str(python)}
    assert plan(repo, {**odd, "SHIPYARD_CACHE": "false"}, tmp_path) == {"restore": "false"}
    assert plan(repo, {**odd, "ACT": "true"}, tmp_path) == {"restore": "false"}
    assert not probed.exists()
    assert plan(repo, odd, tmp_path) == {"restore": "false"}  # wanted: the probe fails
    assert probed.exists()
