"""Slack: incoming webhooks and the Web API (chat.postMessage, chat.update).

Calls go through the runtime's HttpClient (retries on 429 with Retry-After, 5xx and connection
errors) rather than slack_sdk, so every channel of this action retries, times out and logs the
same way; the test suite drives the Slack emulator with slack_sdk to prove the protocol is the
real one. Messages never contain the webhook URL or the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.runtime import ExternalError, HttpClient

_WEBHOOK_HINTS = {
    "invalid_payload": "The payload is not a valid Slack message; check slack-payload.",
    "no_service": "The webhook was removed or the URL is wrong; create a new incoming webhook.",
    "no_active_hooks": "The webhook's app is disabled; re-enable it in the Slack app settings.",
    "invalid_token": "The webhook URL's token is wrong; copy the URL again from Slack.",
    "channel_is_archived": "The webhook's channel is archived; create a webhook for another one.",
    "action_prohibited": "A Slack admin restricted posting to this channel.",
}

_API_HINTS = {
    "invalid_auth": "slack-token is not valid: use a bot token (xoxb-...) of an installed app.",
    "not_authed": "slack-token is empty or was not sent.",
    "token_revoked": "slack-token was revoked: install the app again and update the secret.",
    "account_inactive": "slack-token belongs to a deleted user or app.",
    "missing_scope": "The bot token lacks the chat:write scope: add it and reinstall the app.",
    "channel_not_found": "Check slack-channel. chat.update needs the channel ID (C...), e.g. "
    "the slack-channel output of the step that posted the message.",
    "not_in_channel": "Invite the bot to the channel first (/invite @your-bot).",
    "is_archived": "The channel is archived.",
    "message_not_found": "slack-update-ts does not name a message in that channel.",
    "cant_update_message": "Only messages posted by this bot can be updated.",
    "edit_window_closed": "The message is too old to be edited.",
    "no_text": "The payload has no text, blocks or attachments.",
    "invalid_blocks": "The payload's blocks are not valid Block Kit.",
    "msg_too_long": "The message is longer than Slack accepts.",
    "thread_not_found": "slack-thread-ts does not name a message in that channel.",
}


@dataclass(frozen=True)
class SlackResult:
    """Where the message went. Webhooks do not return a channel or timestamp."""

    via: str
    channel: str = ""
    ts: str = ""
    updated: bool = False


def send_webhook(http: HttpClient, url: str, payload: dict[str, Any]) -> SlackResult:
    """POST the payload to an incoming webhook; Slack answers 200 'ok' or an error word."""
    response = http.request(
        "POST", url, json=payload, describe="Slack webhook", source="slack-webhook"
    )
    body = response.text.strip()
    if response.status_code == 200:
        return SlackResult(via="webhook")
    word = body.split()[0] if body else ""
    hint = _WEBHOOK_HINTS.get(word, "")
    detail = f" ({word})" if word and len(word) < 60 else ""
    raise ExternalError(
        f"Slack webhook answered HTTP {response.status_code}{detail}.", hint=hint or None
    )


class SlackWebApi:
    """The two Web API methods notify needs, with Slack's ``ok: false`` errors explained."""

    def __init__(self, http: HttpClient, token: str, api_url: str):
        self.http = http
        self.token = token
        self.api_url = api_url.rstrip("/")

    def call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST one Web API method with the bot token; raise ExternalError, explained, when Slack
        answers ``ok: false``."""
        response = self.http.request(
            "POST",
            f"{self.api_url}/{method}",
            json=body,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json; charset=utf-8",
            },
            describe=f"Slack {method}",
            source="slack-api-url",
        )
        if response.status_code != 200:
            raise ExternalError(f"Slack {method} answered HTTP {response.status_code}.")
        try:
            data = response.json()
        except ValueError:
            raise ExternalError(f"Slack {method} answered something that is not JSON.") from None
        if not isinstance(data, dict) or not data.get("ok"):
            error = str(data.get("error", "unknown_error")) if isinstance(data, dict) else "?"
            raise ExternalError(f"Slack {method} failed: {error}.", hint=_API_HINTS.get(error))
        return data

    def post(self, channel: str, payload: dict[str, Any], thread_ts: str = "") -> SlackResult:
        """Post a message (in a thread when ``thread_ts`` is given): ``chat.postMessage``."""
        body = {"channel": channel, **payload}
        if thread_ts:
            body["thread_ts"] = thread_ts
        data = self.call("chat.postMessage", body)
        return SlackResult(
            via="Web API", channel=str(data.get("channel", "")), ts=str(data.get("ts", ""))
        )

    def update(self, channel: str, ts: str, payload: dict[str, Any]) -> SlackResult:
        """Replace the text of a message the bot posted: ``chat.update`` (never in a thread)."""
        body = {**payload, "channel": channel, "ts": ts}
        body.pop("thread_ts", None)
        data = self.call("chat.update", body)
        return SlackResult(
            via="Web API",
            channel=str(data.get("channel", channel)),
            ts=str(data.get("ts", ts)),
            updated=True,
        )
