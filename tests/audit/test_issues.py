"""report-issues against the GitHub emulator: one issue per blocking finding, found again by
its fingerprint marker, updated while the finding stays, closed when it is gone."""

from __future__ import annotations

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
