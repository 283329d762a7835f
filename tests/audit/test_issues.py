"""report-issues against the GitHub emulator: one issue per blocking finding, found again by
its fingerprint marker, updated while the finding stays, closed when it is gone; a token
GitHub refuses (no `issues: write`, no access) is exit 3 with the report kept."""

from __future__ import annotations

from pathlib import Path

from tests.action_run import ActionRun
from tests.audit.conftest import RunAudit
from tests.audit.sample import Sample
from tests.services.github_emulator import GitHubEmulator

TOKEN = "ghs_audit_token_for_tests"
REPO = "your-org/app"


def test_open_update_close(
    sample: Sample, run_audit: RunAudit, github_emulator: GitHubEmulator
) -> None:
    emu = github_emulator
    emu.add_token(TOKEN, "audit-bot")
    emu.add_repo(REPO, collaborators={"audit-bot": "write"})
    # An audit issue from an earlier run whose finding is gone, and someone else's issue.
    emu.add_label(REPO, "security")
    stale = emu.create_issue(
        REPO,
        "[audit] high: B999",
        user="audit-bot",
        labels=["security"],
        body="old\n<!-- shipyard-audit fingerprint=00000000deadbeef -->",
    )
    other = emu.create_issue(REPO, "A bug", user="someone", labels=["security"], body="hi")
    env = {"GITHUB_API_URL": emu.url, "GITHUB_RUN_ID": "7", "GITHUB_SERVER_URL": "https://gh.test"}

    def audit() -> str:
        result = run_audit(
            sample.root, env=env, scanners="code", report_issues="true", github_token=TOKEN
        )
        assert TOKEN not in result.visible
        return result.summary

    summary = audit()
    assert "Issues: 1 opened, 1 closed." in summary
    issues = {i["number"]: i for i in emu.issues(REPO)}
    (new,) = [i for i in issues.values() if i["number"] not in (stale["number"], other["number"])]
    assert new["state"] == "open" and [x["name"] for x in new["labels"]] == ["security"]
    assert new["title"] == "[audit] high: B602 in app.py"
    assert "line 6" in new["body"] and "<!-- shipyard-audit fingerprint=" in new["body"]
    assert issues[stale["number"]]["state"] == "closed"
    assert "No longer found" in emu.comments(REPO, stale["number"])[0]["body"]
    assert issues[other["number"]]["state"] == "open"

    # The same finding, moved down two lines: the same issue, updated.
    sample.write("app.py", "# moved\n\n" + (sample.root / "app.py").read_text())
    assert "Issues: 1 updated." in audit()
    assert "line 8" in emu.issue(REPO, new["number"])["body"]
    assert len(emu.issues(REPO)) == 3

    # Unchanged: nothing written.
    assert "Issues: 1 unchanged." in audit()

    # Fixed: the issue is closed.
    sample.write("app.py", "print('hello')\n")
    assert "Issues: 1 closed." in audit()
    assert emu.issue(REPO, new["number"])["state"] == "closed"
    assert len(emu.issues(REPO)) == 3


def failed(result: ActionRun) -> list[str]:
    return [e for e in result.annotations("error") if "title=report-issues failed" in e]


def _audit_with(sample: Sample, run_audit: RunAudit, emu: GitHubEmulator, token: str) -> ActionRun:
    env = {"GITHUB_API_URL": emu.url, "GITHUB_RUN_ID": "7", "GITHUB_SERVER_URL": "https://gh.test"}
    return run_audit(
        sample.root, env=env, scanners="code", report_issues="true", github_token=token
    )


def test_a_job_token_without_issues_write_is_exit_3_and_the_report_stays(
    sample: Sample, run_audit: RunAudit, github_emulator: GitHubEmulator
) -> None:
    """The README: report-issues needs `issues: write`; a refusal is a service failure (3)."""
    emu = github_emulator
    emu.add_repo(REPO, private=True)
    emu.add_installation_token(TOKEN, REPO, {"contents": "read", "issues": "read"})
    result = _audit_with(sample, run_audit, emu, TOKEN)

    assert result.code == 3, result.log
    [error] = failed(result)
    assert "GitHub refused to manage the audit issues of your-org/app (HTTP 403)" in error
    assert "`permissions: issues: write`" in result.summary
    assert emu.issues(REPO) == []
    refused = [r for r in emu.requests if r.method == "POST"]
    assert [r.status for r in refused] == [403]  # the label it needed, refused by GitHub
    assert result.outputs["blocking"] == "1"  # the gate's outputs and SARIF are still there
    assert Path(result.outputs["sarif-file"]).is_file()
    assert TOKEN not in result.visible


def test_a_job_token_with_issues_write_opens_them_as_the_bot(
    sample: Sample, run_audit: RunAudit, github_emulator: GitHubEmulator
) -> None:
    emu = github_emulator
    emu.add_repo(REPO, private=True)
    emu.add_installation_token(TOKEN, REPO, {"contents": "read", "issues": "write"})
    result = _audit_with(sample, run_audit, emu, TOKEN)

    assert result.code == 1, result.log  # the blocking finding, issues kept
    assert "Issues: 1 opened." in result.summary
    [issue] = emu.issues(REPO)
    assert issue["user"]["login"] == "github-actions[bot]"


def test_a_token_that_cannot_see_the_repository_is_exit_3(
    sample: Sample, run_audit: RunAudit, github_emulator: GitHubEmulator
) -> None:
    emu = github_emulator
    emu.add_repo(REPO, private=True, collaborators={"audit-bot": "write"})
    emu.add_token(TOKEN, "audit-bot", scopes=["public_repo"])  # a classic token without repo
    result = _audit_with(sample, run_audit, emu, TOKEN)

    assert result.code == 3, result.log
    [error] = failed(result)
    assert "(HTTP 404)" in error
    assert emu.issues(REPO) == []


def test_an_issue_stays_open_while_its_scanner_did_not_run(
    tmp_path: Path, sample: Sample, run_audit: RunAudit, github_emulator: GitHubEmulator
) -> None:
    """The bug: a scheduled scan whose dependency scanner could not run (no database, no
    route to OSV; allowed to be unavailable) closed the issues of the vulnerable pins as "No
    longer found", though nobody looked. Now they stay open and the summary says why."""
    emu = github_emulator
    emu.add_token(TOKEN, "audit-bot")
    emu.add_repo(REPO, collaborators={"audit-bot": "write"})
    env = {"GITHUB_API_URL": emu.url, "GITHUB_RUN_ID": "7", "GITHUB_SERVER_URL": "https://gh.test"}
    first = run_audit(
        sample.root, env=env, scanners="dependencies, code", report_issues="true",
        github_token=TOKEN,
    )  # fmt: skip
    assert first.code == 1, first.log
    opened = {i["number"]: i["title"] for i in emu.issues(REPO)}
    pins = [n for n, title in opened.items() if "B602" not in title]  # the pins' advisories
    assert pins and len(opened) == len(pins) + 1, opened  # and bandit's B602

    empty = tmp_path / "osv-empty"  # a database with no advisory: the scanner did not run
    empty.mkdir()
    blind = run_audit(
        sample.root, env=env, scanners="dependencies, code", report_issues="true",
        github_token=TOKEN, vulnerability_db=str(empty), allow_unavailable="dependencies",
    )  # fmt: skip
    assert blind.code == 1, blind.log  # B602 still blocks
    assert f"Issues: 1 unchanged, {len(pins)} kept open." in blind.summary
    assert "No issue was closed: dependencies did not run" in blind.summary
    for number in pins:
        assert emu.issue(REPO, number)["state"] == "open"
        assert emu.comments(REPO, number) == []
