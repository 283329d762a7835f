"""approval against a GitHub that says no, as the README says it copes: a team the token cannot
read (the job's GITHUB_TOKEN, a personal token without read:org, one whose user is not in the
organization) is exit 2 before any issue; a GITHUB_TOKEN (refused GET /user) opens and checks
its own request; without issues: write it is exit 2 naming the permission; without actions:
write the approved issue stays open for the next check. Every refusal is the emulator's own
answer to the token (no fault is queued)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.approval._world import REPO, make_world, run_approval
from tests.services.github_emulator import GitHubEmulator

JOB_TOKEN = "ghs_job_token_of_this_run"
TEAM = "/orgs/your-org/teams/approvers/members"
NOT_VISIBLE = (
    "Input 'approvers': the team 'your-org/approvers' was not found, or the token cannot read it."
)


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    emu = make_world(github_emulator)
    emu.add_workflow(REPO, ".github/workflows/deploy.yml")
    return emu


def job_token(gh: GitHubEmulator, **permissions: str) -> str:
    """The run's GITHUB_TOKEN with the job's ``permissions:`` (pull_requests=..., ...)."""
    gh.add_installation_token(JOB_TOKEN, REPO, permissions)
    return JOB_TOKEN


def pat(gh: GitHubEmulator, login: str, *scopes: str) -> str:
    token = f"ghp_{login}_{len(scopes)}"
    gh.add_token(token, login, scopes=scopes)
    return token


@pytest.mark.parametrize(
    ("who", "status"),
    [("job token", 403), ("pat without read:org", 404), ("pat of an outsider", 404)],
)
def test_a_team_the_token_cannot_read_is_exit_2_before_any_issue(
    tmp_path: Path, gh: GitHubEmulator, who: str, status: int
) -> None:
    token = {
        "job token": lambda: job_token(gh, issues="write", contents="read"),
        "pat without read:org": lambda: pat(gh, "shipyard-bot", "repo"),
        "pat of an outsider": lambda: pat(gh, "mallory", "repo", "read:org"),
    }[who]()
    result = run_approval(tmp_path, gh, {"approvers": "bob, your-org/approvers", "token": token})

    assert result.code == 2, result.log
    assert NOT_VISIBLE in result.annotations("error")[0]
    assert "needs a token with read:org" in result.summary  # what to do
    assert gh.issues(REPO) == []
    assert [r.status for r in gh.requests_to(TEAM)] == [status]  # the server said no
    assert "Traceback" not in result.log


def test_a_member_with_read_org_resolves_the_team(tmp_path: Path, gh: GitHubEmulator) -> None:
    token = pat(gh, "shipyard-bot", "repo", "read:org")
    inputs = {"mode": "request", "approvers": "bob, your-org/approvers", "token": token}
    result = run_approval(tmp_path, gh, inputs)

    assert result.code == 0, result.log
    body = gh.issue(REPO, int(result.outputs["issue-number"]))["body"]
    assert "@dave" in body and "@erin" in body
    assert [r.status for r in gh.requests_to(TEAM)] == [200]


def test_the_job_token_opens_and_checks_its_own_request(tmp_path: Path, gh: GitHubEmulator) -> None:
    token = job_token(gh, issues="write", contents="read", actions="write")
    requested = run_approval(
        tmp_path / "request", gh, {"mode": "request", "approvers": "bob", "token": token}
    )
    assert requested.code == 0, requested.log
    number = int(requested.outputs["issue-number"])
    assert gh.issue(REPO, number)["user"]["login"] == "github-actions[bot]"

    gh.comment(REPO, number, "bob", "approve")
    checked = run_approval(
        tmp_path / "check",
        gh,
        {"mode": "check", "approvers": "bob", "on-approved": "deploy.yml", "token": token},
        event={"issue": gh.issue(REPO, number), "sender": {"login": "bob"}},
        event_name="issue_comment",
    )
    assert checked.outputs["status"] == "approved", checked.log
    assert [r.status for r in gh.requests_to("/user", "GET")] == [403]
    assert [d["workflow"] for d in gh.dispatches(REPO)] == [".github/workflows/deploy.yml"]


def test_without_issues_write_it_is_exit_2_naming_the_permission(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    token = job_token(gh, issues="read", contents="read")
    result = run_approval(tmp_path, gh, {"approvers": "bob", "token": token})

    assert result.code == 2, result.log
    [error] = result.annotations("error")
    assert error.endswith(
        "GitHub refused to create the approval issue in your-org/shop "
        "(403 Resource not accessible by integration)."
    )
    assert "Give the job `permissions: issues: write`" in result.summary
    assert gh.issues(REPO) == []
    assert "Traceback" not in result.log


def test_without_actions_write_the_approved_issue_stays_open(
    tmp_path: Path, gh: GitHubEmulator
) -> None:
    token = job_token(gh, issues="write", contents="read", actions="read")
    requested = run_approval(
        tmp_path / "request", gh, {"mode": "request", "approvers": "bob", "token": token}
    )
    number = int(requested.outputs["issue-number"])
    gh.comment(REPO, number, "bob", "approve")
    checked = run_approval(
        tmp_path / "check",
        gh,
        {"mode": "check", "approvers": "bob", "on-approved": "deploy.yml", "token": token},
        event={"issue": gh.issue(REPO, number), "sender": {"login": "bob"}},
        event_name="issue_comment",
    )

    assert checked.code == 2, checked.log
    assert "(403 Resource not accessible by integration)" in checked.annotations("error")[0]
    assert "`actions: write` for on-approved" in checked.summary
    assert gh.dispatches(REPO) == []
    assert gh.issue(REPO, number)["state"] == "open"  # the next check tries again
    dispatch = gh.requests_to("/repos/your-org/shop/actions/workflows/*/dispatches", "POST")
    assert [r.status for r in dispatch] == [403]
