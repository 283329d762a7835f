"""notify against a Slack that says no, as the README says it copes: a bot token without
chat:write gets Slack's own ``missing_scope`` answer (from the emulator's scope check, no
fault queued), which is a warning naming the scope and the step succeeds (exit 3 with
fail-on-error); it is not retried, and the other channels are still sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notify._run import run_notify
from tests.services.slack_emulator import SlackEmulator

NO_CHAT_WRITE = "xoxb-without-chat-write"
EXPLAINED = (
    "failed: Slack {method} failed: missing_scope. The bot token lacks the chat:write scope: "
    "add it and reinstall the app."
)


@pytest.fixture
def slack(slack_emulator: SlackEmulator) -> SlackEmulator:
    slack_emulator.add_channel("#deploys", "C0DEPLOYS01")
    slack_emulator.add_token(NO_CHAT_WRITE, scopes=["channels:read", "users:read"])
    return slack_emulator


def inputs(slack: SlackEmulator, **extra: str) -> dict[str, str]:
    return {
        "slack-token": NO_CHAT_WRITE,
        "slack-api-url": slack.api_url,
        "slack-channel": "#deploys",
        "status": "success",
        **extra,
    }


def test_missing_chat_write_is_a_warning_and_the_step_succeeds(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    result = run_notify(tmp_path, inputs(slack))

    assert result.code == 0, result.log
    assert result.results == {"Slack (Web API)": EXPLAINED.format(method="chat.postMessage")}
    assert any("missing_scope" in line for line in result.annotations("warning"))
    assert slack.messages() == []
    [call] = slack.requests_to("/api/chat.postMessage")  # a refusal is not retried
    assert call.status == 200
    assert NO_CHAT_WRITE not in result.visible


def test_missing_chat_write_with_fail_on_error_exits_3(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    result = run_notify(tmp_path, inputs(slack, **{"fail-on-error": "true"}))

    assert result.code == 3, result.log
    assert "1 of 1 channel(s) failed: Slack (Web API)" in result.log


def test_an_update_without_chat_write_is_explained_too(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    ts = slack.post_message("#deploys", "Deploying v2")
    result = run_notify(
        tmp_path, inputs(slack, **{"slack-channel": "C0DEPLOYS01", "slack-update-ts": ts})
    )

    assert result.code == 0, result.log
    assert result.results == {"Slack (Web API)": EXPLAINED.format(method="chat.update")}
    assert slack.message("#deploys", ts)["text"] == "Deploying v2"


def test_a_refused_slack_does_not_stop_the_other_channels(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    from tests.services.scripted_http import ScriptedHttpServer

    hook = ScriptedHttpServer().start()
    try:
        result = run_notify(tmp_path, inputs(slack, **{"webhook-url": hook.url + "/hook"}))
    finally:
        hook.stop()

    assert result.code == 0, result.log
    assert result.results["Webhook"] == "sent"
    assert "missing_scope" in result.results["Slack (Web API)"]
