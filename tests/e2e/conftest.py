"""Fixtures of the runbook pipeline tests (tests/e2e/test_runbook_*_act.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.act import ActHarness
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
)
from tests.e2e.pipelines import (
    REPO,
    stand_in_repositories,
)
from tests.services.github_emulator import GitHubEmulator


@pytest.fixture
def pipeline_act(act: ActHarness, tmp_path: Path) -> ActHarness:
    """The session harness plus the stand-ins for GitHub-only actions."""
    clone = act.with_workdir(act.workdir)
    clone.local_repositories = {
        **act.local_repositories,
        **stand_in_repositories(tmp_path / "stand-ins"),
    }
    return clone


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    emu = github_emulator
    emu.add_user("shipyard-bot", token=APPROVAL_TOKEN)
    emu.add_repo(
        REPO,
        collaborators={"shipyard-bot": "write", "bob": "write", "carol": "write", "dana": "write"},
    )
    emu.add_user("octocat")  # the harness's actor: the initiator, who cannot approve
    return emu
