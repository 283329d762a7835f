"""Incoming webhooks: ``POST /services/<T>/<B>/<secret>`` posts a message (JSON, or a
form's ``payload``) to the webhook's channel and answers as hooks.slack.com does, in plain
text (``ok``, ``no_service``, ``invalid_payload``, ``channel_is_archived``...)."""

from __future__ import annotations

import json
import secrets

from flask import Response, request

from tests.services.emulator_server import Route
from tests.services.slack_api.chat import ChatApi
from tests.services.slack_api.model import Identity, Message, Webhook, new_id
from tests.services.slack_api.wire import SlackApiCallError, text_response


class WebhooksApi(ChatApi):
    """Incoming webhooks (their messages are checked as ``chat.postMessage``'s)."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route("/services/<team>/<bot>/<secret>", self._webhook, ("POST",))

    def add_webhook(
        self,
        channel: str = "#general",
        *,
        team: str | None = None,
        bot: str | None = None,
        secret: str | None = None,
        username: str = "incoming-webhook",
    ) -> str:
        """Register an incoming webhook posting to ``channel`` (created if unknown); its URL."""
        with self._lock:
            channel_id = self._find_channel(channel)
            if channel_id is None:
                channel_id = self.add_channel(channel)
            team = team or self.TEAM_ID
            bot = bot or new_id("B")
            secret = secret or secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")[:24]
            n = next(self._user_ids)
            identity = Identity(f"U{n:010d}", username, bot, f"A{n:010d}")
            self._webhooks[(team, bot, secret)] = Webhook(team, bot, secret, channel_id, identity)
            path = f"/services/{team}/{bot}/{secret}"
        return f"{self.url}{path}" if self._server is not None else path

    def reset(self) -> None:
        """Restore the baseline: drop messages, requests, faults and everything added since."""
        with self._lock:
            super().reset()
            for spec, channel in self._baseline_webhooks.items():
                team, bot, secret = spec.strip("/").split("/")
                self.add_webhook(channel, team=team, bot=bot, secret=secret)

    def _webhook(self, team: str, bot: str, secret: str) -> Response:
        hook = self._webhooks.get((team, bot, secret))
        if hook is None:
            return text_response("no_service", 404)
        raw = request.get_data(cache=True)
        if request.mimetype == "application/x-www-form-urlencoded":
            raw = request.form.get("payload", "").encode()
        try:
            payload = json.loads(raw)
        except ValueError:
            return text_response("invalid_payload", 400)
        if not isinstance(payload, dict):
            return text_response("invalid_payload", 400)
        args = {k: v for k, v in payload.items() if k in ("text", "blocks", "attachments")}
        try:
            text, blocks, attachments = self._content(args)
        except SlackApiCallError as error:
            # What hooks.slack.com answers today (older workspaces said "no_text").
            code = {
                "invalid_blocks_format": "invalid_blocks",
                "no_text": "missing_text_or_fallback_or_attachments",
            }.get(error.error, error.error)
            return text_response(code, 400)
        channel = self._channels[hook.channel_id]
        if channel.is_archived:
            return text_response("channel_is_archived", 410)
        thread_ts = payload.get("thread_ts")
        message = Message(
            channel=channel.id,
            ts=self._next_ts(),
            text=text or "",
            user=hook.identity.user_id,
            bot_id=hook.identity.bot_id,
            app_id=hook.identity.app_id,
            username=hook.identity.user_name,
            blocks=blocks,
            attachments=attachments,
            source="webhook",
        )
        self._store(message, str(thread_ts) if thread_ts else None)
        return text_response("ok", 200)

    def _webhook_paths(self) -> list[str]:
        with self._lock:
            return [f"/services/{t}/{b}/{s}" for t, b, s in self._webhooks]
