"""install: true puts each linter in a cached venv (uv, our hashed lock); a second run installs
nothing. Real installs from the package index."""

from __future__ import annotations

import io
from pathlib import Path

from shipyard.lint import config
from shipyard.lint.toolenv import MARKER, ToolEnv, cache_root, our_locks
from shipyard.lint.versions import resolve
from shipyard.runtime import Runner
from tests.lint._sample import lint, linters_run, make_repo


def test_the_action_installs_ruff_once_and_reuses_its_venv(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    first = lint(tmp_path, repo, {"install": "true", "linters": "ruff"})
    entry = linters_run(first)["ruff"]
    assert entry["status"] == "ok" and entry["findings"] > 0, first.log[-3000:]
    ours = our_locks()["ruff"]
    assert entry["version"] == ours.version and entry["source"] == "ours (locks/tools/lint)"
    assert "::group::install ruff" in first.log
    venvs = list((tmp_path / "tool-cache" / "shipyard" / "lint" / "venvs").iterdir())
    assert len(venvs) == 1 and (venvs[0] / MARKER).exists()
    marker_time = (venvs[0] / MARKER).stat().st_mtime_ns

    second = lint(
        tmp_path / "again",
        repo,
        {"install": "true", "linters": "ruff"},
        env={"RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache")},
    )
    assert "::group::install" not in second.log
    assert linters_run(second)["ruff"]["findings"] == entry["findings"]
    assert (venvs[0] / MARKER).stat().st_mtime_ns == marker_time


def test_a_version_that_does_not_exist_is_a_named_install_failure(tmp_path: Path) -> None:
    stream = io.StringIO()
    runner = Runner(env={}, stream=stream)
    tools = resolve(["isort"], config.load([], lambda _p: None), {}, {"isort": "0.0.0.999"})
    env = ToolEnv(
        cache_root(str(tmp_path)), runner, {"PATH": str(Path(__file__).parents[2] / ".venv/bin")}
    )
    try:
        env.ensure([tools["isort"]])
    except Exception as exc:
        assert type(exc).__name__ == "ExternalError"
        assert "isort 0.0.0.999" in str(exc)
    else:
        raise AssertionError("the install of a missing version succeeded")
    assert not list((cache_root(str(tmp_path)) / "venvs").glob("isort-*/" + MARKER))


def test_a_linter_venv_another_user_could_change_is_refused(tmp_path: Path) -> None:
    """A linter's venv is code that runs with the job's secrets, whether it was installed here
    or restored from GitHub's cache service: a site-packages, a bin or a venv folder that group
    or others may write, or that another user owns, is refused (exit 2) and nothing runs."""
    import os
    import shutil

    repo = make_repo(tmp_path)
    cache = tmp_path / "tool-cache"
    first = lint(
        tmp_path / "first",
        repo,
        {"install": "true", "linters": "ruff"},
        env={"RUNNER_TOOL_CACHE": str(cache)},
    )
    assert linters_run(first)["ruff"]["status"] == "ok", first.log[-2000:]
    (venv,) = (cache / "shipyard" / "lint" / "venvs").iterdir()
    (site,) = venv.glob("lib/python*/site-packages")
    for where in (site, venv / "bin", venv, venv.parent):
        mode = where.stat().st_mode
        where.chmod(mode | 0o002)
        again = lint(
            tmp_path / f"again-{where.name}", repo, {"install": "true", "linters": "ruff"},
            env={"RUNNER_TOOL_CACHE": str(cache)},
        )  # fmt: skip
        assert again.code == 2, again.log[-2000:]
        assert "shipyard refused an untrusted tool cache" in again.log
        assert f"{where} (writable by group or others)" in again.log
        assert "linters-run" not in again.outputs
        where.chmod(mode)
    if os.geteuid() == 0:  # another owner (root can give it away)
        shutil.chown(site, user="nobody")
        other = lint(
            tmp_path / "other",
            repo,
            {"install": "true", "linters": "ruff"},
            env={"RUNNER_TOOL_CACHE": str(cache)},
        )
        assert other.code == 2 and f"{site} (owned by uid" in other.log
        shutil.chown(site, user=os.geteuid())
    assert lint(
        tmp_path / "ok",
        repo,
        {"install": "true", "linters": "ruff"},
        env={"RUNNER_TOOL_CACHE": str(cache)},
    ).code in (0, 1)
