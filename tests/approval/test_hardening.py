"""Issue 8's approval holes, each reproduced through PyGithub against the stateful emulator:
an editable or injected request marker (item 2), edited votes (item 3) and waiting on an issue
the action did not open (item 9)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from shipyard.approval.body import MARKER_PREFIX
from tests.approval._world import REPO, FakeClock, at_sleep, make_world, run_approval
from tests.services.github_emulator import GitHubEmulator

DEPLOY = ".github/workflows/deploy.yml"
CHECK = {"mode": "check", "approvers": "alice, bob, carol", "on-approved": "deploy.yml"}


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    emu = make_world(github_emulator)
    emu.add_workflow(REPO, DEPLOY)
    emu.add_token("ghp_carol", "carol")
    emu.add_token("ghp_bob", "bob")
    return emu


def request(tmp_path: Path, gh: GitHubEmulator, **inputs: str) -> int:
    result = run_approval(
        tmp_path / "request", gh, {"mode": "request", "approvers": "alice, bob, carol", **inputs}
    )
    assert result.code == 0, result.log
    return int(result.outputs["issue-number"])


def check(tmp_path: Path, gh: GitHubEmulator, number: int, user: str, **inputs: str) -> Any:
    """The check workflow on the newest comment of issue ``number``, run by ``user``."""
    event = {
        "action": "created",
        "issue": gh.issue(REPO, number),
        "comment": gh.comments(REPO, number)[-1],
        "sender": {"login": user},
    }
    return run_approval(
        tmp_path / f"check-{user}-{time.monotonic_ns()}",
        gh,
        {**CHECK, **inputs},
        event=event,
        event_name="issue_comment",
        GITHUB_ACTOR=user,
        GITHUB_TRIGGERING_ACTOR=user,
    )


def patch_comment(gh: GitHubEmulator, comment: dict[str, Any], token: str, body: str) -> Any:
    answer = requests.patch(
        comment["url"], json={"body": body}, headers={"Authorization": f"token {token}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def forged_marker(gh: GitHubEmulator, number: int) -> str:
    """The issue's marker with the initiators list emptied."""
    body = gh.issue(REPO, number)["body"]
    marker = body[body.index(MARKER_PREFIX) :].split(" -->", 1)[0] + " -->"
    data = json.loads(marker.removeprefix(MARKER_PREFIX).removesuffix(" -->"))
    data["initiators"] = []
    return MARKER_PREFIX + json.dumps(data) + " -->"


# -- item 2: the request marker -----------------------------------------------------------


def test_a_marker_in_the_issue_body_input_does_not_replace_the_actions_own(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    first = request(tmp_path / "a", gh)
    forged = forged_marker(gh, first)
    number = request(tmp_path / "b", gh, **{"issue-body": f"Release notes.\n\n{forged}"})
    gh.comment(REPO, number, "alice", "approve")  # alice started the run
    result = check(tmp_path, gh, number, "alice")

    assert result.outputs.get("status") != "approved", result.log
    assert gh.dispatches(REPO) == []
    assert gh.issue(REPO, number)["state"] == "open"


def test_an_edited_request_fails_closed(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    body = gh.issue(REPO, number)["body"]
    gh.edit_issue(
        REPO, number, "alice", body=body.replace('"initiators":["alice"]', '"initiators":[]')
    )
    gh.comment(REPO, number, "alice", "approve")
    result = check(tmp_path, gh, number, "alice")

    assert result.code == 1, result.log
    assert result.outputs.get("status") != "approved"
    (error,) = result.annotations("error")
    assert "was edited by alice" in error and "cannot be trusted" in error
    assert gh.dispatches(REPO) == []


def test_ticking_the_checklist_is_not_tampering(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh, **{"require-checklist": "true"})
    body = gh.issue(REPO, number)["body"]
    gh.edit_issue(REPO, number, "bob", body=body.replace("- [ ]", "- [x]"))
    gh.comment(REPO, number, "bob", "approve")
    result = check(tmp_path, gh, number, "bob", **{"require-checklist": "true"})
    assert result.code == 0, result.log
    assert result.outputs["status"] == "approved"
    assert len(gh.dispatches(REPO)) == 1


def test_a_request_opened_by_someone_else_fails_closed(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    copy = gh.create_issue(
        REPO, "Approval needed: please", user="alice", body=gh.issue(REPO, number)["body"]
    )
    gh.comment(REPO, copy["number"], "bob", "approve")
    result = check(tmp_path, gh, copy["number"], "bob")
    assert result.code == 1, result.log
    assert "opened by alice" in result.annotations("error")[0]
    assert gh.dispatches(REPO) == []


def test_the_initiators_are_checked_against_the_workflow_run(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    # the run that asked was re-run by carol: she is an initiator too, whatever the marker says
    gh.add_run(REPO, 4242, actor="alice", triggering_actor="carol")
    number = request(tmp_path, gh, **{"minimum-approvals": "1"})
    gh.comment(REPO, number, "carol", "approve")
    result = check(tmp_path, gh, number, "carol")
    assert result.outputs["status"] == "pending", result.log
    assert "started the run, so cannot approve it" in result.summary
    assert gh.requests_to(f"/repos/{REPO}/actions/runs/4242", "GET")


def test_a_request_whose_run_cannot_be_read_fails_closed(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    number = request(tmp_path, gh, **{"issue-body": "x"})
    gh.comment(REPO, number, "bob", "approve")
    gh.remove_run(REPO, 4242)
    result = check(tmp_path, gh, number, "bob")
    assert result.code == 1, result.log
    assert "workflow run 4242" in result.annotations("error")[0]
    assert gh.dispatches(REPO) == []


# -- item 3: edited votes -----------------------------------------------------------------


def test_a_no_saved_again_unchanged_still_denies(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    no = gh.comment(REPO, number, "bob", "no")
    time.sleep(1.1)  # GitHub's timestamps have one-second resolution: updated_at moves on
    assert patch_comment(gh, no, "ghp_bob", "no")["updated_at"] > no["created_at"]
    gh.comment(REPO, number, "carol", "approve")
    result = check(tmp_path, gh, number, "carol")
    assert result.outputs["status"] == "denied", result.log
    assert result.outputs["denied-by"] == "bob"
    assert gh.dispatches(REPO) == []


def test_an_edited_deny_still_denies(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request(tmp_path, gh)
    comment = gh.comment(REPO, number, "bob", "let me look")
    time.sleep(1.1)
    patch_comment(gh, comment, "ghp_bob", "deny")
    gh.comment(REPO, number, "carol", "approve")
    result = check(tmp_path, gh, number, "carol")
    assert result.outputs["status"] == "denied", result.log
    assert result.outputs["denied-by"] == "bob"


def test_an_edit_in_the_second_it_was_posted_is_still_an_edit(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    """carol (a writer, not the approver) turns bob's comment into "approve" at once: its
    updated_at equals its created_at, and it must not count as bob's vote."""
    number = request(tmp_path, gh, approvers="bob")
    for _ in range(5):  # until the edit lands in the same second (nearly always at once)
        comment = gh.comment(REPO, number, "bob", "I will look at it")
        edited = patch_comment(gh, comment, "ghp_carol", "approve")
        if edited["updated_at"] == edited["created_at"]:
            break
    else:  # pragma: no cover - five second boundaries in a row
        pytest.fail("could not edit a comment within the second it was posted")
    result = check(tmp_path, gh, number, "carol", approvers="bob")
    assert result.outputs["status"] == "pending", result.log
    assert "edited by carol" in result.summary
    assert gh.dispatches(REPO) == []


# -- item 9: waiting on an issue the action did not open ----------------------------------

WAIT = {"approvers": "bob, carol", "timeout": "10m", "checklist": "none"}


def test_waiting_on_an_issue_without_a_request_is_refused(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    issue = gh.create_issue(REPO, "Ship it?", user="alice", body="Shall we?")
    gh.comment(REPO, issue["number"], "bob", "lgtm")  # long before any request
    result = run_approval(tmp_path, gh, {**WAIT, "issue-number": str(issue["number"])})
    assert result.code == 2, result.log
    (error,) = result.annotations("error")
    assert "Input 'issue-number'" in error and "allow-foreign-issue" in error
    assert gh.issue(REPO, issue["number"])["state"] == "open"
    assert len(gh.comments(REPO, issue["number"])) == 1


def test_only_comments_after_the_request_count_on_a_foreign_issue(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    issue = gh.create_issue(REPO, "Ship it?", user="alice", body="Shall we?")
    number = issue["number"]
    gh.comment(REPO, number, "bob", "lgtm")  # before the request: does not count
    clock = FakeClock(at_sleep({2: lambda: gh.comment(REPO, number, "carol", "approve")}))
    result = run_approval(
        tmp_path,
        gh,
        {**WAIT, "issue-number": str(number), "allow-foreign-issue": "true"},
        clock=clock,
    )
    assert result.code == 0, result.log
    assert result.outputs["approved-by"] == "carol"
    comments = gh.comments(REPO, number)
    assert comments[1]["user"]["login"] == "shipyard-bot"
    assert MARKER_PREFIX in comments[1]["body"]  # the action's own request
    assert "posted before the approval request" in result.summary


def test_a_token_that_cannot_say_who_it_is_accepts_only_an_app_author(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    """GITHUB_TOKEN and GitHub App tokens are refused GET /user: a request opened by a
    [bot] is accepted (GraphQL spells it without the suffix), one opened by a person is not."""
    permissions = {"issues": "write", "contents": "read", "actions": "write"}
    gh.add_installation_token("ghs_app", REPO, permissions, login="release-app[bot]")
    requested = run_approval(
        tmp_path / "request",
        gh,
        {"mode": "request", "approvers": "alice, bob, carol"},
        SHIPYARD_INPUT_TOKEN="ghs_app",
    )
    number = int(requested.outputs["issue-number"])
    gh.comment(REPO, number, "bob", "approve")
    result = run_approval(
        tmp_path / "check",
        gh,
        CHECK,
        event={"issue": gh.issue(REPO, number), "sender": {"login": "bob"}},
        event_name="issue_comment",
        SHIPYARD_INPUT_TOKEN="ghs_app",
    )
    assert result.outputs["status"] == "approved", result.log
    assert gh.requests_to("/user", "GET")[-1].status == 403

    copy = gh.create_issue(
        REPO, "Approval needed", user="alice", body=gh.issue(REPO, number)["body"]
    )
    gh.comment(REPO, copy["number"], "bob", "approve")
    refused = run_approval(
        tmp_path / "copy",
        gh,
        CHECK,
        event={"issue": gh.issue(REPO, copy["number"]), "sender": {"login": "bob"}},
        event_name="issue_comment",
        SHIPYARD_INPUT_TOKEN="ghs_app",
    )
    assert refused.code == 1
    assert "only a request opened by a GitHub App" in refused.annotations("error")[0]
