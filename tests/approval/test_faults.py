"""GitHub misbehaving: rate limits, secondary rate limits, 5xx, dropped connections, an outage;
and the request-then-wait flow, GHES, assignees, edited comments."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.approval._world import (
    REPO,
    FakeClock,
    SystemClock,
    at_sleep,
    make_world,
    run_approval,
)
from tests.services.github_emulator import GitHubEmulator


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    return make_world(github_emulator)


BASE = {"approvers": "bob, carol", "timeout": "10m", "checklist": "none"}


def request_issue(tmp_path: Path, gh: GitHubEmulator) -> str:
    """Create the approval issue with mode request; return its number."""
    result = run_approval(tmp_path / "request", gh, {**BASE, "mode": "request"})
    assert result.code == 0, result.log
    return result.outputs["issue-number"]


def test_request_returns_at_once_then_wait_by_issue_number(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    requested = run_approval(tmp_path / "request", gh, {**BASE, "mode": "request"})
    assert requested.code == 0, requested.log
    assert requested.outputs == {
        "status": "pending",
        "approved-by": "",
        "denied-by": "",
        "issue-number": "1",
        "issue-url": gh.issue(REPO, 1)["html_url"],
    }
    assert requested.clock is not None and requested.clock.sleeps == []  # type: ignore[attr-defined]
    assert gh.issue(REPO, 1)["state"] == "open"
    assert gh.comments(REPO, 1) == []
    assert "Waiting for approval" in requested.summary

    clock = FakeClock(at_sleep({1: lambda: gh.comment(REPO, 1, "carol", "approve")}))
    waited = run_approval(tmp_path / "wait", gh, {**BASE, "issue-number": "1"}, clock=clock)
    assert waited.code == 0, waited.log
    assert waited.outputs["status"] == "approved"
    assert waited.outputs["issue-number"] == "1"
    assert gh.issue(REPO, 1)["state"] == "closed"
    assert len(gh.issues(REPO)) == 1


def test_wait_on_an_issue_decided_earlier_reports_without_commenting(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    number = request_issue(tmp_path, gh)
    gh.comment(REPO, 1, "bob", "deny")
    gh.edit_issue(REPO, 1, "bob", state="closed")
    result = run_approval(tmp_path / "wait", gh, {**BASE, "issue-number": number})
    assert result.code == 1
    assert result.outputs["status"] == "denied"
    assert len(gh.comments(REPO, 1)) == 1


def test_rate_limit_exhausted_then_reset(tmp_path: Path, gh: GitHubEmulator) -> None:
    number = request_issue(tmp_path, gh)
    gh.comment(REPO, 1, "bob", "approve")
    reset = gh.set_rate_limit(remaining=0, reset_in=1)["reset"]
    result = run_approval(
        tmp_path / "wait", gh, {**BASE, "issue-number": number}, clock=SystemClock()
    )

    assert result.code == 0, result.log
    assert result.outputs["status"] == "approved"
    assert "GitHub's API rate limit is used up" in result.log
    assert "it resets at" in result.log
    limited = [r for r in gh.requests if r.status == 403]
    assert len(limited) == 1  # one refused request, then a wait until the reset
    after = gh.requests[gh.requests.index(limited[0]) + 1]
    assert after.time >= reset  # the next request waited for the reset
    assert after.status == 200


def test_secondary_rate_limit_honours_retry_after(tmp_path: Path, gh: GitHubEmulator) -> None:
    gh.secondary_rate_limit(1, retry_after=7, path=f"/repos/{REPO}/issues", method="POST")
    clock = FakeClock(at_sleep({2: lambda: gh.comment(REPO, 1, "bob", "approve")}))
    result = run_approval(tmp_path, gh, BASE, clock=clock)

    assert result.code == 0, result.log
    assert clock.sleeps[0] == 7  # as Retry-After asked, before the issue existed
    assert "secondary rate limit" in result.log and "Retry-After" in result.log
    assert len(gh.issues(REPO)) == 1


def test_secondary_rate_limit_429_while_polling(tmp_path: Path, gh: GitHubEmulator) -> None:
    def limit_next_poll() -> None:
        gh.secondary_rate_limit(1, retry_after=3, status=429, path=f"/repos/{REPO}/issues/1")

    clock = FakeClock(
        at_sleep({1: limit_next_poll, 3: lambda: gh.comment(REPO, 1, "bob", "approve")})
    )
    result = run_approval(tmp_path, gh, BASE, clock=clock)
    assert result.code == 0, result.log
    assert clock.sleeps[:3] == [15, 3, 15]


def test_502_then_success(tmp_path: Path, gh: GitHubEmulator) -> None:
    gh.fail_next(1, 502, path=f"/repos/{REPO}/issues", method="POST")
    clock = FakeClock(
        at_sleep(
            {
                2: lambda: gh.fail_next(2, 502, path=f"/repos/{REPO}/issues/1"),
                4: lambda: gh.comment(REPO, 1, "bob", "approve"),
            }
        )
    )
    result = run_approval(tmp_path, gh, BASE, clock=clock)

    assert result.code == 0, result.log
    assert "GitHub answered HTTP 502 while trying to create the approval issue" in result.log
    assert "GitHub answered HTTP 502 while trying to read issue #1; retrying" in result.log
    assert len(gh.issues(REPO)) == 1  # a failed create is looked for before trying again
    searched = gh.requests_to(f"/repos/{REPO}/issues", "GET")
    assert searched and searched[0].query["state"] == "open"


def test_dropped_connection_is_retried(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(
        at_sleep(
            {
                1: lambda: gh.drop_next(1, path=f"/repos/{REPO}/issues/1"),
                3: lambda: gh.comment(REPO, 1, "bob", "approve"),
            }
        )
    )
    result = run_approval(tmp_path, gh, BASE, clock=clock)
    assert result.code == 0, result.log
    assert "could not reach GitHub (ConnectionError)" in result.log


def test_github_unreachable_exits_3(tmp_path: Path, gh: GitHubEmulator) -> None:
    gh.fail_next(20, 503)
    result = run_approval(tmp_path, gh, BASE)
    assert result.code == 3
    errors = result.annotations("error")
    assert errors and "HTTP 503 after 5 attempts" in errors[0]
    assert gh.issues(REPO) == []


def test_outage_while_waiting_is_ridden_out(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(
        at_sleep(
            {
                1: lambda: gh.fail_next(5, 503, path=f"/repos/{REPO}/issues/1"),
                8: lambda: gh.comment(REPO, 1, "bob", "approve"),
            }
        )
    )
    result = run_approval(tmp_path, gh, BASE, clock=clock)
    assert result.code == 0, result.log
    assert "Trying again at the next poll." in result.log


def test_ghes_api_prefix(tmp_path: Path, gh: GitHubEmulator) -> None:
    clock = FakeClock(at_sleep({1: lambda: gh.comment(REPO, 1, "bob", "approve")}))
    result = run_approval(tmp_path, gh, BASE, clock=clock, api_url=gh.api_v3_url)
    assert result.code == 0, result.log
    assert gh.requests and all(
        r.path.startswith("/api/v3/") or r.path == "/api/graphql" for r in gh.requests
    )
    assert gh.requests_to("/graphql", "POST")  # GHES answers GraphQL at /api/graphql


def test_approver_who_cannot_be_assigned_still_approves(tmp_path: Path, gh: GitHubEmulator) -> None:
    gh.add_user("frank")  # no access to the repository: not assignable
    clock = FakeClock(at_sleep({1: lambda: gh.comment(REPO, 1, "frank", "approve")}))
    result = run_approval(tmp_path, gh, {**BASE, "approvers": "bob, frank"}, clock=clock)
    assert result.code == 0, result.log
    assert result.outputs["approved-by"] == "frank"
    assert gh.issue(REPO, 1)["assignees"] == []
    assert any("Could not assign bob, frank" in line for line in result.annotations("warning"))


def test_an_edited_comment_does_not_count(tmp_path: Path, gh: GitHubEmulator) -> None:
    """A repository writer (carol) edits bob's comment into "approve": it must not count."""
    gh.add_token("ghp_carol", "carol")

    def carol_edits_bobs_comment() -> None:
        comment = gh.comment(REPO, 1, "bob", "I will look at it")
        time.sleep(1.1)  # GitHub's timestamps have one-second resolution
        answer = requests.patch(
            comment["url"],
            json={"body": "approve"},
            headers={"Authorization": "token ghp_carol"},
            timeout=10,
        )
        assert answer.status_code == 200

    clock = FakeClock(at_sleep({1: carol_edits_bobs_comment}))
    result = run_approval(tmp_path, gh, {**BASE, "timeout": "1m"}, clock=clock)
    assert result.outputs["status"] == "timed-out", result.log
    assert "edited by carol after posting" in result.summary


def test_an_unexpected_refusal_while_waiting_still_closes_the_issue(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    refuse = lambda: gh.fail_next(1, 403, path=f"/repos/{REPO}/issues/1", method="GET")  # noqa: E731
    clock = FakeClock(at_sleep({1: refuse}))
    result = run_approval(tmp_path, gh, BASE, clock=clock)

    assert result.code == 2
    assert "GitHub refused to read issue #1 in your-org/shop (403 Error)" in result.log
    issue = gh.issue(REPO, 1)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert gh.comments(REPO, 1)[-1]["body"].startswith("\u26a0\ufe0f **Stopped**")


def test_a_rate_limit_reset_after_the_timeout_ends_in_timed_out(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    clock = FakeClock(at_sleep({1: lambda: gh.set_rate_limit(remaining=0, reset_in=3600)}))
    result = run_approval(tmp_path, gh, BASE, clock=clock)

    assert result.code == 1
    assert result.outputs["status"] == "timed-out"
    assert "that is past the time left" in result.log
    # the wait stopped at the timeout (10m), not at the reset an hour later (each poll that
    # met the limit was logged and the next tried); closing the issue then gives up at once
    # with a warning, as the reset is past its own short deadline too
    assert sum(clock.sleeps) == pytest.approx(600, abs=1)
    assert any("Could not close approval issue #1" in w for w in result.annotations("warning"))
