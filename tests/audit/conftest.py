"""Fixtures of the audit tests: a fresh sample repository and an in-process action run."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest

from shipyard.audit.__main__ import run
from shipyard.audit.spec import SPEC
from tests.action_run import ActionRun, run_in_process
from tests.audit.sample import OSV_DB, Sample, make_sample
from tests.services._common import ServiceUnavailable
from tests.services._require import unavailable
from tests.services.package_index import Index, package_index, wheels

ServeIndex = Callable[..., Index]

RunAudit = Callable[..., ActionRun]


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "repo")


@pytest.fixture(scope="session")
def tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tool cache for the session (trivy's cache lives there, as on a runner)."""
    return tmp_path_factory.mktemp("tool-cache")


@pytest.fixture
def run_audit(tmp_path: Path, tool_cache: Path) -> RunAudit:
    """Run the action on a repository: `run_audit(root, **inputs)` (input names with dashes
    or underscores); the OSV copy under tests/data is the vulnerability DB unless given."""
    counter = iter(range(1000))

    def go(root: Path, env: Mapping[str, str] | None = None, **inputs: str) -> ActionRun:
        number = next(counter)
        named = {k.replace("_", "-"): v for k, v in inputs.items()}
        named.setdefault("vulnerability-db", str(OSV_DB))
        runner_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "GITHUB_WORKSPACE": str(root),
            "RUNNER_TEMP": str(tmp_path / f"runner-temp-{number}"),
            "RUNNER_TOOL_CACHE": str(tool_cache),
            "GITHUB_REPOSITORY": "your-org/app",
            **(env or {}),
        }
        (tmp_path / f"runner-temp-{number}").mkdir()
        return run_in_process(SPEC, run, tmp_path / f"run-{number}", named, runner_env)

    return go


def report_of(result: ActionRun) -> dict[str, object]:
    data = json.loads(result.outputs["report"])
    assert isinstance(data, dict)
    return data


def sarif_of(result: ActionRun) -> dict[str, object]:
    data = json.loads(Path(result.outputs["sarif-file"]).read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture
def serve_index(tmp_path: Path) -> Iterator[ServeIndex]:
    """A local package index of real wheels (the test bed's cache): `serve_index(extra=[...])`
    serves them and the given distributions on 127.0.0.1 until the test ends."""
    try:
        wheels()
    except ServiceUnavailable as exc:
        unavailable("package index", exc.reason)
    counter = iter(range(100))
    with ExitStack() as stack:

        def serve(extra: Iterable[Path] = ()) -> Index:
            root = tmp_path / f"index-{next(counter)}"
            return stack.enter_context(package_index(root, extra))

        yield serve
