"""The Slack emulator checks OAuth scopes as Slack's Web API does, proven through slack_sdk:
``missing_scope`` with ``needed`` and ``provided`` before anything else, ``X-OAuth-Scopes`` and
``X-Accepted-OAuth-Scopes`` on every answer to a token, ``chat:write.public`` for channels the
bot is not in."""

from __future__ import annotations

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator

READ_ONLY = "xoxb-read-only"
CONVERSATIONS = "channels:read,groups:read,im:read,mpim:read"


@pytest.fixture
def slack(slack_emulator: SlackEmulator) -> SlackEmulator:
    slack_emulator.add_channel("deploys", "C0DEPLOYS01")
    slack_emulator.add_token(READ_ONLY, scopes=["channels:read", "users:read"])
    return slack_emulator


def client(slack: SlackEmulator, token: str) -> WebClient:
    return WebClient(token=token, base_url=slack.api_url)


def test_the_default_token_has_every_scope_the_methods_need(slack: SlackEmulator) -> None:
    posted = client(slack, DEFAULT_TOKEN).chat_postMessage(channel="#deploys", text="hi")
    assert (
        posted.headers["X-OAuth-Scopes"] == "chat:write,channels:read,groups:read,im:read,mpim:read"
    )
    assert posted.headers["X-Accepted-OAuth-Scopes"] == "chat:write"


@pytest.mark.parametrize(
    ("method", "arguments"),
    [
        ("chat_postMessage", {"channel": "#deploys", "text": "v1 deployed"}),
        ("chat_update", {"channel": "C0DEPLOYS01", "ts": "1700000000.000100", "text": "v2"}),
        ("chat_delete", {"channel": "C0DEPLOYS01", "ts": "1700000000.000100"}),
    ],
)
def test_chat_without_chat_write_is_missing_scope(
    slack: SlackEmulator, method: str, arguments: dict[str, str]
) -> None:
    with pytest.raises(SlackApiError) as refused:
        getattr(client(slack, READ_ONLY), method)(**arguments)
    answer = refused.value.response
    assert answer.status_code == 200
    assert answer.data == {
        "ok": False,
        "error": "missing_scope",
        "needed": "chat:write",
        "provided": "channels:read,users:read",
    }
    assert answer.headers["X-OAuth-Scopes"] == "channels:read,users:read"
    assert answer.headers["X-Accepted-OAuth-Scopes"] == "chat:write"
    assert slack.messages() == []


def test_the_scope_is_checked_before_the_arguments(slack: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as refused:
        client(slack, READ_ONLY).chat_postMessage(channel="#nowhere", text="x")
    assert refused.value.response["error"] == "missing_scope"  # not channel_not_found


def test_conversations_info_accepts_any_read_scope(slack: SlackEmulator) -> None:
    slack.add_token("xoxb-chat-only", scopes=["chat:write"])
    with pytest.raises(SlackApiError) as refused:
        client(slack, "xoxb-chat-only").conversations_info(channel="C0DEPLOYS01")
    assert refused.value.response["needed"] == CONVERSATIONS
    assert refused.value.response["provided"] == "chat:write"
    info = client(slack, READ_ONLY).conversations_info(channel="C0DEPLOYS01")
    assert info["channel"]["name"] == "deploys"
    assert info.headers["X-Accepted-OAuth-Scopes"] == CONVERSATIONS


def test_auth_test_needs_no_scope_and_shows_the_tokens(slack: SlackEmulator) -> None:
    slack.add_token("xoxb-bare", scopes=[])
    answer = client(slack, "xoxb-bare").auth_test()
    assert answer["ok"] is True
    assert answer.headers["X-OAuth-Scopes"] == ""
    assert answer.headers["X-Accepted-OAuth-Scopes"] == ""


def test_chat_write_public_posts_where_the_bot_is_not_a_member(slack: SlackEmulator) -> None:
    slack.add_channel("announcements", "C0ANNOUNCE1", member=False)
    slack.add_channel("secret", "G0SECRET001", private=True, member=False)
    with pytest.raises(SlackApiError) as refused:
        client(slack, DEFAULT_TOKEN).chat_postMessage(channel="#announcements", text="x")
    assert refused.value.response["error"] == "not_in_channel"

    slack.add_token("xoxb-public", scopes=["chat:write", "chat:write.public"])
    public = client(slack, "xoxb-public")
    assert public.chat_postMessage(channel="#announcements", text="v1")["ok"] is True
    with pytest.raises(SlackApiError) as private:
        public.chat_postMessage(channel="G0SECRET001", text="x")
    assert private.value.response["error"] == "not_in_channel"  # public channels only


def test_scoped_tokens_through_the_control_endpoint(slack: SlackEmulator) -> None:
    made = requests.post(
        f"{slack.url}/_emulator/tokens",
        json={"token": "xoxb-remote", "scopes": "channels:read"},
        timeout=5,
    )
    assert made.status_code == 201
    with pytest.raises(SlackApiError) as refused:
        client(slack, "xoxb-remote").chat_postMessage(channel="#deploys", text="x")
    assert refused.value.response["provided"] == "channels:read"
