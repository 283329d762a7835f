"""notify's report is a pure function of the outcome: outputs, annotations, summary, failure."""

from __future__ import annotations

from shipyard.notify import report
from shipyard.notify.report import ChannelResult, NotifyOutcome
from shipyard.runtime import Summary

OUTCOME = NotifyOutcome(
    headline="\u2705 Deployed",
    results=(
        ChannelResult("Slack (Web API)", True, "posted: channel C1, ts 1.2", {"slack-ts": "1.2"}),
        ChannelResult("Email", False, "SMTP server answered 550 no | such user."),
    ),
)


def test_outputs_annotations_and_failure() -> None:
    assert report.outputs(OUTCOME) == {
        "slack-ts": "1.2",
        "results": {
            "Slack (Web API)": "sent",
            "Email": "failed: SMTP server answered 550 no | such user.",
        },
    }
    (warning,) = report.annotations_for(OUTCOME)
    assert (warning.level, warning.title) == ("warning", "Email failed")
    error = report.failure(OUTCOME)
    assert error is not None and error.exit_code == 3
    assert (error.title, error.message) == (
        "Notification failed",
        "1 of 2 channel(s) failed: Email",
    )
    assert report.failure(NotifyOutcome(results=OUTCOME.results[:1])) is None


def test_summary_is_a_table_of_channels() -> None:
    summary = Summary()
    report.write_summary(OUTCOME, summary)
    text = summary.render()
    assert text.startswith("### \u2705 Deployed")
    assert "| Slack (Web API) | \u2705 sent | posted: channel C1, ts 1.2 |" in text
    assert "| Email | \u274c failed | SMTP server answered 550 no \\| such user. |" in text
