"""mode: check, as a workflow on issue_comment runs it: evaluate once, close when decided,
start the follow-up workflow with workflow_dispatch; ignore other issues quietly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shipyard.approval.body import MARKER_PREFIX
from tests.approval._world import REPO, FakeClock, make_world, run_approval
from tests.services.github_emulator import GitHubEmulator

DEPLOY = ".github/workflows/deploy.yml"


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    emu = make_world(github_emulator)
    emu.add_workflow(REPO, DEPLOY, inputs={"version": {"required": True}, "environment": {}})
    return emu


def request(tmp_path: Path, gh: GitHubEmulator) -> int:
    result = run_approval(
        tmp_path / "request",
        gh,
        {"mode": "request", "approvers": "bob, carol", "minimum-approvals": "1"},
    )
    assert result.code == 0, result.log
    return int(result.outputs["issue-number"])


def comment_event(gh: GitHubEmulator, number: int, user: str, body: str) -> dict[str, Any]:
    """What GitHub sends to a workflow on issue_comment (created), after the comment."""
    comment = gh.comment(REPO, number, user, body)
    return {
        "action": "created",
        "issue": gh.issue(REPO, number),
        "comment": comment,
        "repository": {"full_name": REPO, "default_branch": "main"},
        "sender": {"login": user},
    }


CHECK = {
    "mode": "check",
    "approvers": "bob, carol",
    "on-approved": "deploy.yml",
    "on-approved-inputs": "version=v1.4.0\nenvironment=production",
}


def check(
    tmp_path: Path,
    gh: GitHubEmulator,
    event: dict[str, Any],
    inputs: dict[str, str] | None = None,
    **kw: Any,
) -> Any:
    # the check run's actor is whoever commented, not who asked for the deploy
    return run_approval(
        tmp_path / "check",
        gh,
        inputs or CHECK,
        event=event,
        event_name="issue_comment",
        GITHUB_ACTOR=event["sender"]["login"],
        GITHUB_TRIGGERING_ACTOR=event["sender"]["login"],
        **kw,
    )


def test_check_approves_closes_and_dispatches(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    result = check(tmp_path, gh, comment_event(gh, number, "bob", "Approve!"))

    assert result.code == 0, result.log
    assert result.outputs["status"] == "approved"
    assert result.outputs["approved-by"] == "bob"
    (dispatch,) = gh.dispatches(REPO)
    assert dispatch["workflow"] == DEPLOY
    assert dispatch["ref"] == "main"
    assert dispatch["inputs"] == {"version": "v1.4.0", "environment": "production"}
    assert dispatch["user"] == "shipyard-bot"
    issue = gh.issue(REPO, number)
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    last = gh.comments(REPO, number)[-1]["body"]
    assert last.startswith("\u2705 **Approved** by @bob")
    assert "Started `deploy.yml` on `main`." in last
    # the check holds no runner: no sleeping at all
    assert result.clock.sleeps == []


def test_check_before_enough_approvals_is_pending(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    inputs = {**CHECK, "minimum-approvals": "2"}
    result = check(tmp_path, gh, comment_event(gh, number, "bob", "lgtm"), inputs)

    assert result.code == 0, result.log
    assert result.outputs["status"] == "pending"
    assert result.outputs["approved-by"] == "bob"
    assert gh.dispatches(REPO) == []
    assert gh.issue(REPO, number)["state"] == "open"
    assert "1 of 2 approvals (bob)" in result.summary

    second = check(tmp_path / "2", gh, comment_event(gh, number, "carol", "yes"), inputs)
    assert second.outputs["status"] == "approved"
    assert len(gh.dispatches(REPO)) == 1


def test_check_denied_does_not_dispatch(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    result = check(tmp_path, gh, comment_event(gh, number, "carol", "deny"))
    assert result.code == 1
    assert result.outputs["status"] == "denied"
    assert gh.dispatches(REPO) == []
    assert gh.issue(REPO, number)["state_reason"] == "not_planned"


def test_other_issues_and_pull_requests_are_ignored_quietly(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    gh.create_issue(REPO, "The checkout button is blue", user="mallory")
    event = comment_event(gh, 1, "bob", "approve")
    before = gh.request_count
    result = check(tmp_path, gh, event)
    assert result.code == 0
    assert gh.request_count == before  # not one API request
    assert result.outputs == {}
    assert result.summary == ""
    assert "Nothing to do: issue #1 is not an approval" in result.log

    pull = dict(event, issue={**event["issue"], "pull_request": {"url": "x"}})
    assert check(tmp_path / "pr", gh, pull).code == 0
    assert gh.request_count == before


def test_a_forged_request_cannot_be_approved_by_its_author(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    number = request(tmp_path, gh)
    marker = gh.issue(REPO, number)["body"].split(MARKER_PREFIX, 1)[1]
    forged = MARKER_PREFIX + marker.replace('"initiators":["alice"]', '"initiators":[]')
    gh.create_issue(REPO, "Approval needed: please", user="bob", body=forged)
    result = check(tmp_path, gh, comment_event(gh, number + 1, "bob", "approve"))

    assert result.code == 1, result.log
    assert "was opened by bob, not by this token's identity" in result.annotations("error")[0]
    assert gh.dispatches(REPO) == []


def test_check_after_the_timeout_closes_as_timed_out(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    event = comment_event(gh, number, "mallory", "please?")
    clock = FakeClock()
    clock.time += 3 * 86400  # three days later
    result = check(tmp_path, gh, event, {**CHECK, "timeout": "2d"}, clock=clock)

    assert result.code == 1
    assert result.outputs["status"] == "timed-out"
    assert gh.issue(REPO, number)["state_reason"] == "not_planned"
    assert gh.dispatches(REPO) == []

    # without a timeout input, days of waiting are fine in check mode
    number = request(tmp_path / "again", gh)
    clock = FakeClock()
    clock.time += 3 * 86400
    later = check(tmp_path / "b", gh, comment_event(gh, number, "bob", "approve"), clock=clock)
    assert later.outputs["status"] == "approved"


def test_failed_dispatch_leaves_the_issue_open(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    event = comment_event(gh, number, "bob", "approve")
    result = check(tmp_path, gh, event, {**CHECK, "on-approved": "missing.yml"})

    assert result.code == 2
    assert any("missing.yml" in line for line in result.annotations("error"))
    assert gh.issue(REPO, number)["state"] == "open"  # the next check tries again

    unexpected = {**CHECK, "on-approved-inputs": "version=1\nsurprise=yes"}
    result = check(tmp_path / "b", gh, event, unexpected)
    assert result.code == 2
    assert any("Unexpected inputs" in line for line in result.annotations("error"))


def test_check_needs_an_issue(tmp_path: Path, gh: GitHubEmulator) -> None:
    result = run_approval(tmp_path, gh, CHECK, event={}, event_name="push")
    assert result.code == 2
    assert "Input 'issue-number': is required" in result.annotations("error")[0]


def test_check_with_issue_number_on_another_event(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    gh.comment(REPO, number, "carol", "approved")
    result = run_approval(
        tmp_path / "c",
        gh,
        {**CHECK, "issue-number": str(number), "on-approved-ref": "main"},
        event={},
        event_name="schedule",
    )
    assert result.code == 0, result.log
    assert [d["ref"] for d in gh.dispatches(REPO)] == ["main"]
