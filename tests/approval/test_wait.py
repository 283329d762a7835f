"""The approval action in-process, through the real PyGithub client, against the GitHub
emulator: creating the issue, waiting, deciding, closing, outputs and summary."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.approval._world import (
    REPO,
    SHA,
    TOKEN,
    FakeClock,
    at_sleep,
    make_world,
    run_approval,
)
from tests.services.github_emulator import GitHubEmulator


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    return make_world(github_emulator)


def approver_inputs(**extra: str) -> dict[str, str]:
    return {"approvers": "bob, carol, dave", "poll-interval": "15s", "timeout": "10m", **extra}


def test_approved_by_two_of_three(tmp_path: Path, gh: GitHubEmulator) -> None:
    gh.add_tag(REPO, "v1.3.0")
    gh.add_commit(REPO, "feat: faster checkout")
    gh.add_commit(REPO, "fix: rounding @everyone")
    head = gh.add_commit(REPO, "chore: bump", sha=SHA)
    assert head == SHA
    clock = FakeClock(
        at_sleep(
            {
                1: lambda: gh.comment(REPO, 1, "bob", "approve"),
                3: lambda: gh.comment(REPO, 1, "carol", "LGTM!"),
            }
        )
    )
    result = run_approval(
        tmp_path,
        gh,
        approver_inputs(**{"minimum-approvals": "2", "labels": "deploy, production"}),
        clock=clock,
    )

    assert result.code == 0, result.log
    assert result.outputs["status"] == "approved"
    assert result.outputs["approved-by"] == "bob,carol"
    assert result.outputs["denied-by"] == ""
    assert result.outputs["issue-number"] == "1"
    issue = gh.issue(REPO, 1)
    assert result.outputs["issue-url"] == issue["html_url"]
    assert issue["title"] == "Approval needed: Release v1.4.0 -> production"
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert [a["login"] for a in issue["assignees"]] == ["bob", "carol", "dave"]
    assert [label["name"] for label in issue["labels"]] == ["deploy", "production"]
    assert issue["user"]["login"] == "shipyard-bot"

    body = issue["body"]
    assert "Requested by @alice in [workflow run #17]" in body
    assert "https://github.com/your-org/shop/actions/runs/4242" in body
    assert f"https://github.com/your-org/shop/commit/{SHA}" in body
    assert "Changes since `v1.3.0`: [3 commits]" in body
    assert "**Release** wants to deploy **v1.4.0** to **production**" in body
    assert "fix: rounding @\u200beveryone" in body  # no mention from a commit title
    assert "Needs **2** approvals from: @bob, @carol, @dave." in body
    assert "`approve`, `approved`, `lgtm`, `yes`" in body
    assert "`deny`, `denied`, `no`" in body
    assert "- [ ] All tests passing" in body and "- [ ] Rollback plan ready" in body

    *_, decision = gh.comments(REPO, 1)
    assert decision["user"]["login"] == "shipyard-bot"
    assert decision["body"].startswith("\u2705 **Approved** by @bob and @carol at ")
    assert "(2 of 2 needed)" in decision["body"]

    assert "### \u2705 Approval: Approved" in result.summary
    assert "| bob | \u2705 approved |" in result.summary
    assert "| carol | \u2705 approved |" in result.summary
    assert "| dave | \u23f3 no decision |" in result.summary
    assert TOKEN not in result.visible


def test_denied_wins_over_earlier_approvals(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(
        at_sleep(
            {
                1: lambda: gh.comment(REPO, 1, "bob", "approved"),
                2: lambda: gh.comment(REPO, 1, "carol", "Denied."),
            }
        )
    )
    result = run_approval(tmp_path, gh, approver_inputs(**{"minimum-approvals": "2"}), clock=clock)

    assert result.code == 1
    assert result.outputs["status"] == "denied"
    assert result.outputs["denied-by"] == "carol"
    assert result.outputs["approved-by"] == "bob"
    issue = gh.issue(REPO, 1)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert gh.comments(REPO, 1)[-1]["body"].startswith("\u274c **Denied** by @carol at ")
    assert any("Denied by carol" in line for line in result.annotations("error"))
    assert "| carol | \u274c denied |" in result.summary


def test_fail_on_denial_false_succeeds_with_the_status(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(at_sleep({1: lambda: gh.comment(REPO, 1, "bob", "no")}))
    result = run_approval(tmp_path, gh, approver_inputs(**{"fail-on-denial": "false"}), clock=clock)
    assert result.code == 0
    assert result.outputs["status"] == "denied"
    assert not result.annotations("error")
    assert result.annotations("notice")


def test_outsider_and_initiator_are_ignored(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(
        at_sleep(
            {
                1: lambda: (
                    gh.comment(REPO, 1, "mallory", "approve"),
                    gh.comment(REPO, 1, "alice", "approve"),
                    gh.comment(REPO, 1, "bob", "approve this?"),
                ),
                2: lambda: gh.comment(REPO, 1, "carol", "yes"),
            }
        )
    )
    result = run_approval(tmp_path, gh, approver_inputs(approvers="alice, bob, carol"), clock=clock)

    assert result.code == 0, result.log
    assert result.outputs["approved-by"] == "carol"
    body = gh.issue(REPO, 1)["body"]
    assert "@alice started this run and cannot approve it." in body
    assert [a["login"] for a in gh.issue(REPO, 1)["assignees"]] == ["bob", "carol"]
    summary = result.summary
    assert "Ignored comments (3)" in summary
    assert "| mallory | approve (" in summary and "| not an approver |" in summary
    assert "| alice | approve (" in summary and "started the run, so cannot approve it" in summary
    assert "| bob | approve this? (" in summary and "not an approve or deny word" in summary
    assert "| alice | \U0001f6ab started the run, cannot approve |" in summary


def test_a_team_member_approves_team_read_through_every_page(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    members = [f"member{n:03d}" for n in range(120)]
    gh.add_team("your-org", "release", members=members)
    clock = FakeClock(at_sleep({1: lambda: gh.comment(REPO, 1, "member119", "Approve")}))
    result = run_approval(
        tmp_path,
        gh,
        approver_inputs(approvers="bob, your-org/release", checklist="none"),
        clock=clock,
    )

    assert result.code == 0, result.log
    assert result.outputs["approved-by"] == "member119"
    pages = gh.requests_to("/orgs/your-org/teams/release/members")
    assert [r.query.get("per_page") for r in pages] == ["100", "100"]
    assert "| member119 (your-org/release) | \u2705 approved |" in result.summary
    assert "- [ ]" not in gh.issue(REPO, 1)["body"]
    assert [a["login"] for a in gh.issue(REPO, 1)["assignees"]] == ["bob"]


@pytest.mark.parametrize(
    ("comment", "counts"),
    [
        ("APPROVED!", True),
        ("  lgtm.  ", True),
        ("Yes!!", True),
        ("ship it", True),
        ("approve this?", False),
        ("I approve", False),
        ("approve\n\nbut wait", False),
    ],
)
def test_words_with_case_and_punctuation(
    tmp_path: Path, gh: GitHubEmulator, comment: str, counts: bool
) -> None:
    clock = FakeClock(at_sleep({1: lambda: gh.comment(REPO, 1, "bob", comment)}))
    result = run_approval(
        tmp_path,
        gh,
        approver_inputs(**{"approve-words": "ship it", "timeout": "30s"}),
        clock=clock,
    )
    assert result.outputs["status"] == ("approved" if counts else "timed-out")


def test_more_than_a_hundred_comments(tmp_path: Path, gh: GitHubEmulator) -> None:
    def chatter() -> None:
        for n in range(150):
            gh.comment(REPO, 1, "mallory", f"comment {n}")
        gh.comment(REPO, 1, "bob", "approve")

    clock = FakeClock(at_sleep({1: chatter}))
    result = run_approval(tmp_path, gh, approver_inputs(), clock=clock)

    assert result.code == 0, result.log
    assert result.outputs["approved-by"] == "bob"
    pages = {r.query.get("page") for r in gh.requests_to(f"/repos/{REPO}/issues/1/comments")}
    assert {"1", "2"} <= pages
    assert "Ignored comments (150)" in result.summary


def test_checklist_gates_approvals(tmp_path: Path, gh: GitHubEmulator) -> None:
    def tick_all() -> None:
        body = gh.issue(REPO, 1)["body"]
        gh.edit_issue(REPO, 1, "bob", body=body.replace("- [ ]", "- [x]"))

    clock = FakeClock(
        at_sleep(
            {
                1: lambda: gh.comment(REPO, 1, "bob", "approve"),
                3: tick_all,
            }
        )
    )
    result = run_approval(
        tmp_path, gh, approver_inputs(**{"require-checklist": "true"}), clock=clock
    )

    assert result.code == 0, result.log
    assert result.outputs["status"] == "approved"
    assert "waiting for the checklist (0 of 5 boxes ticked)" in result.log
    assert "Checklist: 5 of 5 boxes ticked." in result.summary
    assert (
        "_Approvals count only once every box in this issue is ticked._"
        in gh.issue(REPO, 1)["body"]
    )
    # the approval did not count before the boxes were ticked: the decision came after it
    assert len(clock.sleeps) >= 3


def test_timeout_closes_the_issue_and_unchanged_polls_spend_nothing(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    clock = FakeClock()
    result = run_approval(
        tmp_path, gh, approver_inputs(timeout="10m", **{"poll-interval": "15s"}), clock=clock
    )

    assert result.code == 1
    assert result.outputs["status"] == "timed-out"
    issue = gh.issue(REPO, 1)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert "\u231b **Timed out**: no decision within 10m" in gh.comments(REPO, 1)[-1]["body"]
    assert sum(clock.sleeps) == pytest.approx(600)
    polls = gh.requests_to(f"/repos/{REPO}/issues/1", "GET")
    assert len(polls) == 41  # one at the start, then one every 15s for 10 minutes
    first, *rest = polls
    assert first.status == 200 and first.spent
    assert all(r.status == 304 and not r.spent for r in rest)
    assert all(r.header("If-None-Match") for r in rest)
    comment_reads = gh.requests_to(f"/repos/{REPO}/issues/1/comments", "GET")
    assert comment_reads[0].spent and not any(r.spent for r in comment_reads[1:])
    assert len(comment_reads) > 1  # edits are looked for now and then, also for free


def test_cancellation_comments_and_closes_the_issue(
    tmp_path: Path, gh: GitHubEmulator, restore_sigterm: None
) -> None:
    clock = FakeClock(at_sleep({2: lambda: os.kill(os.getpid(), signal.SIGTERM)}))
    result = run_approval(tmp_path, gh, approver_inputs(), clock=clock)

    assert result.code == 1
    assert result.outputs["status"] == "cancelled"
    issue = gh.issue(REPO, 1)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert gh.comments(REPO, 1)[-1]["body"].startswith("\U0001f6ab **Cancelled**")
    assert "### \U0001f6ab Approval: Cancelled" in result.summary


@pytest.fixture
def restore_sigterm() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_issue_closed_by_someone_ends_the_wait(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(at_sleep({1: lambda: gh.edit_issue(REPO, 1, "bob", state="closed")}))
    result = run_approval(tmp_path, gh, approver_inputs(), clock=clock)
    assert result.code == 1
    assert result.outputs["status"] == "cancelled"
    assert "closed by someone before a decision" in result.summary
    assert len(gh.comments(REPO, 1)) == 0


def test_cancellation_while_creating_the_issue_leaves_none_open(
    tmp_path: Path, gh: GitHubEmulator, restore_sigterm: None
) -> None:
    gh.fail_next(1, 502, path=f"/repos/{REPO}/issues", method="POST")
    clock = FakeClock(at_sleep({1: lambda: os.kill(os.getpid(), signal.SIGTERM)}))
    result = run_approval(tmp_path, gh, approver_inputs(), clock=clock)

    assert result.code == 1
    assert result.outputs["status"] == "cancelled"
    assert [i for i in gh.issues(REPO) if i["state"] == "open"] == []
    # it looked for an issue the interrupted request might have created
    assert gh.requests_to(f"/repos/{REPO}/issues", "GET")


def test_title_body_target_repository_and_at_most_ten_assignees(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    people = [f"reviewer{n}" for n in range(12)]
    gh.add_repo("your-org/approvals", collaborators=["shipyard-bot", *people])
    clock = FakeClock(
        at_sleep({1: lambda: gh.comment("your-org/approvals", 1, "reviewer11", "approve")})
    )
    result = run_approval(
        tmp_path,
        gh,
        {
            "approvers": ", ".join(people),
            "target-repository": "your-org/approvals",
            "issue-title": "Ship the spring sale",
            "issue-body": "Rollout plan: **10%** then 100%.",
            "timeout": "10m",
        },
        clock=clock,
    )

    assert result.code == 0, result.log
    assert gh.issues(REPO) == []
    issue = gh.issue("your-org/approvals", 1)
    assert issue["title"] == "Ship the spring sale"
    assert "Rollout plan: **10%** then 100%." in issue["body"]
    assert "https://github.com/your-org/shop/actions/runs/4242" in issue["body"]
    assert [a["login"] for a in issue["assignees"]] == people[:10]
    assert "GitHub allows 10 assignees" in result.log
    assert result.outputs["approved-by"] == "reviewer11"


def test_initiator_can_approve_when_not_excluded(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(at_sleep({1: lambda: gh.comment(REPO, 1, "alice", "approve")}))
    result = run_approval(
        tmp_path,
        gh,
        approver_inputs(approvers="alice, bob", **{"exclude-initiator": "false"}),
        clock=clock,
    )
    assert result.code == 0, result.log
    assert result.outputs["approved-by"] == "alice"


def test_comment_text_is_inert_in_the_summary(tmp_path: Path, gh: GitHubEmulator) -> None:
    hostile = "![x](https://evil.example/p.png) <img src=x> @everyone | [a](javascript:x)"
    clock = FakeClock(
        at_sleep(
            {
                1: lambda: (
                    gh.comment(REPO, 1, "mallory", hostile),
                    gh.comment(REPO, 1, "bob", "approve"),
                )
            }
        )
    )
    result = run_approval(tmp_path, gh, approver_inputs(), clock=clock)
    assert result.code == 0, result.log
    (row,) = [line for line in result.summary.splitlines() if line.startswith("| mallory |")]
    assert "<img" not in row and "&lt;img src=x&gt;" in row
    assert "![x](" not in row and "\\!\\[x\\]" in row
    assert "@everyone" not in row and "https://evil" not in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 4  # the comment's pipe added no column
