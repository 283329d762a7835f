"""Benchmark of the approval action's cost while it waits: API requests and rate-limit units
per hour of waiting with no new comments. Target: no unit spent on an unchanged poll.

Usage: ``python bench/bench_approval.py [--hours H] [--poll-interval S]``

Method: the action runs in-process, through PyGithub, against the GitHub emulator of the test
bed (which counts one unit per request and none for a 304 or a refused request, as GitHub
does). Its clock is simulated, so an hour of waiting takes a second or two of real time but
every poll is a real HTTP request. The waiting phase is from the first read of the issue to
the timeout (setup before it: approver lookups, changes since the last tag, creating the issue;
after it: the timed-out comment and closing). Rows:

* ``wait, N comments``: mode wait on an issue with N comments already present (pages of 100);
  setup is mode request (looking up approvers and the last tag, creating the issue) plus the
  approver lookups of the wait step;
* ``naive poll``: for reference, what a poller that lists the first page of comments every
  interval without conditional requests (the approach of trstringer/manual-approval) spends;
* ``check``: mode check holds no runner and does not poll; its row is the cost of one run,
  triggered by one comment.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.approval._world import REPO, TOKEN, FakeClock, make_world, run_approval  # noqa: E402
from tests.services.github_emulator import GitHubEmulator  # noqa: E402


def wait_phase(emu: GitHubEmulator, hours: float, poll: float, comments: int) -> dict[str, float]:
    """mode request (the setup), ``comments`` comments, then mode wait on the issue."""
    emu.reset()
    make_world(emu)
    inputs = {"approvers": "bob, carol", "checklist": "none"}
    with tempfile.TemporaryDirectory() as tmp:
        run_approval(Path(tmp) / "request", emu, {**inputs, "mode": "request"})
        setup_requests, setup_units = emu.request_count, emu.units_spent
        for n in range(comments):
            emu.comment(REPO, 1, "mallory", f"chatter {n}")
        started = time.perf_counter()
        result = run_approval(
            Path(tmp) / "wait",
            emu,
            {
                **inputs,
                "issue-number": "1",
                "timeout": f"{hours * 3600:.0f}s",
                "poll-interval": f"{poll:g}s",
            },
            clock=FakeClock(),
        )
        elapsed = time.perf_counter() - started
    if result.outputs.get("status") != "timed-out":
        raise SystemExit(f"unexpected outcome: {result.outputs}\n{result.log}")
    path = f"/repos/{REPO}/issues/1"
    reads = [
        r
        for r in emu.requests[setup_requests:]
        if r.method == "GET" and r.api_path in (path, f"{path}/comments")
    ]
    others = [r for r in emu.requests[setup_requests:] if r not in reads]
    # a poll is unchanged when it reads a URL read before: the first read of the issue and
    # of each page of comments must be a 200; any later one is a 304 unless something changed
    seen: set[tuple[str, str | None]] = set()
    unchanged_units = 0
    for r in reads:
        key = (r.api_path, r.query.get("page"))
        unchanged_units += key in seen and r.spent
        seen.add(key)
    return {
        "setup_requests": setup_requests + sum(1 for r in others if r.method == "GET"),
        "setup_units": setup_units + sum(1 for r in others if r.method == "GET" and r.spent),
        "polls": sum(1 for r in reads if r.api_path == path),
        "requests": len(reads),
        "units": sum(1 for r in reads if r.spent),
        "unchanged_units": unchanged_units,
        "not_modified": sum(1 for r in reads if r.status == 304),
        "wall": elapsed,
    }


def naive_poll(emu: GitHubEmulator, hours: float, poll: float) -> dict[str, float]:
    emu.reset()
    make_world(emu)
    emu.create_issue(REPO, "approval", user="shipyard-bot")
    polls = round(hours * 3600 / poll) + 1
    session = requests.Session()
    session.headers["Authorization"] = f"token {TOKEN}"
    for _ in range(polls):
        session.get(f"{emu.url}/repos/{REPO}/issues/1/comments", timeout=10).raise_for_status()
    return {"polls": polls, "requests": emu.request_count, "units": emu.units_spent}


def check_run(emu: GitHubEmulator) -> dict[str, float]:
    emu.reset()
    make_world(emu)
    emu.add_workflow(REPO, ".github/workflows/deploy.yml")
    with tempfile.TemporaryDirectory() as tmp:
        run_approval(Path(tmp) / "r", emu, {"approvers": "bob", "mode": "request"})
        before_requests, before_units = emu.request_count, emu.units_spent
        comment = emu.comment(REPO, 1, "bob", "approve")
        event = {"action": "created", "issue": emu.issue(REPO, 1), "comment": comment}
        result = run_approval(
            Path(tmp) / "c",
            emu,
            {"approvers": "bob", "mode": "check", "on-approved": "deploy.yml"},
            event=event,
            event_name="issue_comment",
        )
    if result.outputs.get("status") != "approved":
        raise SystemExit(f"unexpected outcome: {result.outputs}\n{result.log}")
    return {
        "requests": emu.request_count - before_requests,
        "units": emu.units_spent - before_units,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--poll-interval", type=float, default=15.0)
    args = parser.parse_args(argv)
    hours, poll = args.hours, args.poll_interval
    emu = GitHubEmulator().start()
    try:
        rows = [(f"wait, {n} comments", wait_phase(emu, hours, poll, n)) for n in (0, 250)]
        naive = naive_poll(emu, hours, poll)
        check = check_run(emu)
    finally:
        emu.stop()

    print(f"approval: {hours:g} h of waiting with no new comments, poll every {poll:g}s")
    print()
    print(
        f"{'scenario':<20} {'polls':>6} {'requests':>9} {'units':>6} {'on unchanged polls':>19} "
        f"{'304s':>6} {'setup req/units':>16} {'wall':>6}"
    )
    ok = True
    for name, row in rows:
        print(
            f"{name:<20} {row['polls']:>6.0f} {row['requests']:>9.0f} {row['units']:>6.0f} "
            f"{row['unchanged_units']:>19.0f} {row['not_modified']:>6.0f} "
            f"{row['setup_requests']:>8.0f}/{row['setup_units']:<7.0f} {row['wall']:>5.1f}s"
        )
        ok = ok and row["unchanged_units"] == 0
    print(
        f"{'naive poll':<20} {naive['polls']:>6.0f} {naive['requests']:>9.0f} "
        f"{naive['units']:>6.0f} {naive['units']:>19.0f} {0:>6}"
    )
    print(f"{'check (one run)':<20} {0:>6} {check['requests']:>9.0f} {check['units']:>6.0f}")
    print()
    print(
        "units: rate-limit units (GitHub: 1,000 an hour per repository for GITHUB_TOKEN, "
        "15,000 on Enterprise Cloud; 5,000 for a personal or App token). The first poll reads "
        "the issue and its comments (200s); every later unchanged poll is a 304."
    )
    target = "met" if ok else "MISSED"
    print(f"target (no unit spent on an unchanged poll): {target}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
