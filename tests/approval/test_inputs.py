"""Bad inputs exit 2 with a message that names the input, and nothing is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.approval._world import REPO, make_world, run_approval
from tests.services.github_emulator import GitHubEmulator


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    return make_world(github_emulator)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"approvers": "bob, carol", "minimum-approvals": "3"},
            "Input 'minimum-approvals': 3 approvals are needed, but only 2 people can approve "
            "(bob, carol).",
        ),
        (
            {"approvers": "alice, bob", "minimum-approvals": "2"},
            "only 1 person can approve (bob; alice started the run and cannot approve "
            "(exclude-initiator))",
        ),
        (
            {"approvers": "bob, your-org/nobody"},
            "Input 'approvers': the team 'your-org/nobody' was not found, or the token cannot "
            "read it.",
        ),
        ({"approvers": "bob, ghost"}, "Input 'approvers': there is no GitHub user 'ghost'."),
        ({"approvers": "bob, a/b/c"}, "Input 'approvers': 'a/b/c' is not a team"),
        ({"approvers": "bob", "minimum-approvals": "0"}, "Input 'minimum-approvals': 0 is too"),
        ({"approvers": "bob", "poll-interval": "100ms"}, "Input 'poll-interval': must be at"),
        ({"approvers": "bob", "timeout": "soon"}, "Input 'timeout': 'soon' is not a duration"),
        ({"approvers": "bob", "mode": "later"}, "Input 'mode': 'later' is not allowed"),
        (
            {"approvers": "bob", "deny-words": "approve"},
            "Input 'deny-words': 'approve' cannot both approve and deny.",
        ),
        ({"approvers": "bob", "on-approved": "deploy.yml"}, "Input 'on-approved': is used only"),
        (
            {"approvers": "bob", "mode": "check", "issue-number": "1", "on-approved-inputs": "x"},
            "Input 'on-approved-inputs': line 1 is not KEY=VALUE",
        ),
        (
            {"approvers": "bob", "require-checklist": "true", "checklist": "none"},
            "Input 'require-checklist': is true, but the issue has no checklist",
        ),
        ({"approvers": "bob", "target-repository": "nope"}, "Input 'target-repository': 'nope'"),
        ({"approvers": "bob", "issue-number": "99"}, "Input 'issue-number': there is no issue #99"),
        ({"approvers": "bob", "token": ""}, "Input 'token': is empty."),
    ],
)
def test_bad_inputs_exit_2_and_create_nothing(
    tmp_path: Path, gh: GitHubEmulator, inputs: dict[str, str], message: str
) -> None:
    result = run_approval(tmp_path, gh, inputs)
    assert result.code == 2, result.log
    errors = result.annotations("error")
    assert errors and message in errors[0], errors
    assert gh.issues(REPO) == []
    assert "Traceback" not in result.log
    assert result.summary  # the summary says what went wrong


def test_missing_approvers_is_required(tmp_path: Path, gh: GitHubEmulator) -> None:
    result = run_approval(tmp_path, gh, {})
    assert result.code == 2
    assert "Input 'approvers': is required" in result.annotations("error")[0]


def test_bad_token_exits_2(tmp_path: Path, gh: GitHubEmulator) -> None:
    result = run_approval(tmp_path, gh, {"approvers": "bob", "token": "ghp_wrong"})
    assert result.code == 2
    assert "GitHub rejected the token" in result.annotations("error")[0]
    assert "ghp_wrong" not in result.visible


def test_token_without_issue_access_exits_2(tmp_path: Path, gh: GitHubEmulator) -> None:
    gh.add_repo("elsewhere/private", private=True)  # the bot is no member of elsewhere
    result = run_approval(
        tmp_path, gh, {"approvers": "bob", "target-repository": "elsewhere/private"}
    )
    assert result.code == 2
    assert "not found (404)" in result.annotations("error")[0]


def test_allow_foreign_issue_only_with_wait_and_an_issue_number(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    result = run_approval(tmp_path, gh, {"approvers": "bob", "allow-foreign-issue": "true"})
    assert result.code == 2
    assert (
        "Input 'allow-foreign-issue': is used only with mode: wait and issue-number."
        in (result.annotations("error")[0])
    )
