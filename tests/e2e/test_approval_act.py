"""approval end to end: workflows under act with `uses: your-org/actions/approval@v1`, the
bootstrap installing PyGithub, against the GitHub emulator (GHES-style /api/v3 prefix).

act sets GITHUB_API_URL for every step itself, also inside composite actions (a step-level
``env:`` does not reach them, nor does act's own environment); its ``--env-file`` (the
harness's ``env=``) does, as the runner of a GitHub Enterprise Server sets it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.act import ActHarness
from tests.services.github_emulator import GitHubEmulator

ROOT = Path(__file__).resolve().parents[2]
CHECK_EXAMPLE = ROOT / "examples" / "approval-check.yml"
REPO = "your-org/app"  # the harness's caller repository
TOKEN = "ghp_shipyard_act_approval"


@pytest.fixture
def gh(github_emulator: GitHubEmulator) -> GitHubEmulator:
    emu = github_emulator
    emu.add_user("shipyard-bot", token=TOKEN)
    emu.add_org("your-org", members=["shipyard-bot"])  # teams are shown to members only
    emu.add_team("your-org", "release-managers", members=["dana"])
    emu.add_repo(REPO, collaborators={"shipyard-bot": "write", "bob": "write", "carol": "write"})
    emu.add_user("octocat")  # the harness's actor: the initiator
    return emu


def in_background(action: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def when_issue_exists(gh: GitHubEmulator, then: Callable[[], None], timeout: float = 120) -> None:
    """Wait (in a thread) until the action opened issue #1, then act as a person would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gh.issues(REPO):
            then()
            return
        time.sleep(0.1)


REQUEST_THEN_WAIT = """
name: Release
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: request
        uses: your-org/actions/approval@v1
        with:
          mode: request
          approvers: bob, carol, octocat
          version: v2.0.0
          token: ${{ secrets.APPROVAL_TOKEN }}
      - id: wait
        uses: your-org/actions/approval@v1
        with:
          issue-number: ${{ steps.request.outputs.issue-number }}
          approvers: bob, carol, octocat
          poll-interval: 1s
          timeout: 2m
          token: ${{ secrets.APPROVAL_TOKEN }}
      - id: after
        env:
          STATUS: ${{ steps.wait.outputs.status }}
          BY: ${{ steps.wait.outputs.approved-by }}
        run: test "$STATUS" = approved && test "$BY" = carol
"""


def test_request_then_wait_by_issue_number(act: ActHarness, gh: GitHubEmulator) -> None:
    def people_comment() -> None:
        gh.comment(REPO, 1, "octocat", "approve")  # the initiator: ignored
        gh.comment(REPO, 1, "carol", "Approved!")

    thread = in_background(lambda: when_issue_exists(gh, people_comment))
    run = act(
        REQUEST_THEN_WAIT,
        secrets={"APPROVAL_TOKEN": TOKEN},
        env={"GITHUB_API_URL": gh.api_v3_url},
    )
    thread.join(timeout=5)
    run.raise_for_failure()

    request = run.step("deploy", "request")
    assert request.outputs["status"] == "pending"
    assert request.outputs["issue-number"] == "1"
    wait = run.step("deploy", "wait")
    assert wait.outputs["status"] == "approved"
    assert wait.outputs["approved-by"] == "carol"
    assert run.step("deploy", "after").outcome == "success"
    issue = gh.issue(REPO, 1)
    assert issue["title"] == "Approval needed: Release v2.0.0 -> production"
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert "| carol | \u2705 approved |" in wait.summary
    assert "started the run, so cannot approve it" in wait.summary
    # REST under /api/v3, GraphQL (the request's edit history) at /api/graphql, as on GHES
    assert all(r.path.startswith("/api/v3/") or r.path == "/api/graphql" for r in gh.requests)
    assert gh.requests_to("/graphql", "POST")
    assert TOKEN not in run.text + run.summary


def test_check_mode_example_dispatches_the_deploy(act: ActHarness, gh: GitHubEmulator) -> None:
    gh.add_user("alice")
    gh.add_workflow(
        REPO,
        ".github/workflows/approval-deploy.yml",
        inputs={"environment": {"required": True}, "approval-issue": {"required": True}},
    )
    from tests.approval._world import run_approval

    # the run that asks (GITHUB_RUN_ID of run_approval): check mode reads its actors by id
    gh.add_run(REPO, 4242, actor="alice")

    requested = run_approval(
        act.workdir / "request",
        gh,
        {"mode": "request", "approvers": "alice, bob, your-org/release-managers"},
        api_url=gh.api_v3_url,
        GITHUB_REPOSITORY=REPO,
        SHIPYARD_INPUT_TOKEN=TOKEN,
    )
    assert requested.code == 0, requested.log
    gh.comment(REPO, 1, "bob", "approve")
    comment = gh.comment(REPO, 1, "dana", "LGTM")
    payload = {
        "action": "created",
        "issue": gh.issue(REPO, 1),
        "comment": comment,
        "sender": {"login": "dana"},
    }
    run = act(
        CHECK_EXAMPLE,
        event="issue_comment",
        payload=payload,
        actor="dana",
        secrets={"APPROVAL_TOKEN": TOKEN},
        env={"GITHUB_API_URL": gh.api_v3_url},
        workflow_file="approval-check.yml",
    )
    run.raise_for_failure()

    step = run.step("check", "approval")
    assert step.outputs["status"] == "approved"
    assert step.outputs["approved-by"] == "bob,dana"
    (dispatch,) = gh.dispatches(REPO)
    assert dispatch["workflow"] == ".github/workflows/approval-deploy.yml"
    assert dispatch["ref"] == "main"
    assert dispatch["inputs"] == {"environment": "production", "approval-issue": "1"}
    assert gh.issue(REPO, 1)["state_reason"] == "completed"

    # a comment on any other issue is ignored quietly, without one API request
    gh.create_issue(REPO, "Approval needed: my own", user="dana", body="no marker")
    other = gh.comment(REPO, 2, "bob", "approve")
    before = gh.request_count
    quiet = act(
        CHECK_EXAMPLE,
        event="issue_comment",
        payload={"action": "created", "issue": gh.issue(REPO, 2), "comment": other},
        secrets={"APPROVAL_TOKEN": TOKEN},
        env={"GITHUB_API_URL": gh.api_v3_url},
        workflow_file="approval-check.yml",
    )
    quiet.raise_for_failure()
    assert gh.request_count == before
    assert not quiet.annotations
    assert len(gh.dispatches(REPO)) == 1


WAIT = """
name: Release
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - id: wait
        uses: your-org/actions/approval@v1
        with:
          approvers: bob
          poll-interval: 1s
          timeout: 3m
          token: ${{ secrets.APPROVAL_TOKEN }}
"""


def _descendants_running(module: str) -> list[int]:
    """Processes started (indirectly) by this test process whose command line runs
    ``module``: the action's Python process under act."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                commands[int(entry)] = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    me = os.getpid()

    def descends(pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
            seen += 1
        return False

    return [pid for pid, cmd in commands.items() if module in cmd and descends(pid)]


def test_sigterm_comments_cancelled_and_closes_the_issue(
    act: ActHarness, gh: GitHubEmulator
) -> None:
    signalled: list[int] = []

    def cancel() -> None:
        # the action polls issue #1 once it exists: then it is waiting
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if gh.requests_to(f"/repos/{REPO}/issues/1/comments"):
                for pid in _descendants_running("shipyard.approval"):
                    os.kill(pid, signal.SIGTERM)
                    signalled.append(pid)
                if signalled:
                    return
            time.sleep(0.1)

    thread = in_background(cancel)
    run = act(WAIT, secrets={"APPROVAL_TOKEN": TOKEN}, env={"GITHUB_API_URL": gh.api_v3_url})
    thread.join(timeout=5)

    assert signalled, "the action's process was not found"
    step = run.step("deploy", "wait")
    assert step.outcome == "failure"
    assert any("exit status 1" in m for m in run.step("deploy", "wait/run").messages)
    assert step.outputs["status"] == "cancelled"
    issue = gh.issue(REPO, 1)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert gh.comments(REPO, 1)[-1]["body"].startswith("\U0001f6ab **Cancelled**")
    assert "Traceback" not in run.text


BAD = """
name: bad input
on: push
permissions: {}
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - id: too-many
        continue-on-error: true
        uses: your-org/actions/approval@v1
        with:
          approvers: bob, carol
          minimum-approvals: 3
          token: ${{ secrets.APPROVAL_TOKEN }}
      - id: no-team
        continue-on-error: true
        uses: your-org/actions/approval@v1
        with:
          approvers: your-org/ghosts
          token: ${{ secrets.APPROVAL_TOKEN }}
"""


def test_bad_inputs_fail_with_clear_messages(act: ActHarness, gh: GitHubEmulator) -> None:
    run = act(BAD, secrets={"APPROVAL_TOKEN": TOKEN}, env={"GITHUB_API_URL": gh.api_v3_url})
    assert run.step("check", "too-many").outcome == "failure"
    assert run.step("check", "no-team").outcome == "failure"
    errors = [a.message for a in run.annotations if a.level == "error"]
    assert any(
        "Input 'minimum-approvals': 3 approvals are needed, but only 2 people" in e for e in errors
    ), errors
    assert any("Input 'approvers': the team 'your-org/ghosts' was not found" in e for e in errors)
    for step in ("too-many", "no-team"):
        messages = run.step("check", f"{step}/run").messages
        assert any("exit status 2" in m for m in messages), messages
    assert gh.issues(REPO) == []
