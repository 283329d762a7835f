"""How a test drives the Slack emulator: queued faults (an HTTP status, 429 with
Retry-After, a dropped connection), the recorded requests, and the ``/_emulator/`` endpoints
that offer the same to another process (requests, messages, faults, reset, webhooks,
channels, tokens). Those endpoints are never recorded or faulted."""

from __future__ import annotations

import fnmatch

from flask import Response, request

from tests.services.emulator_server import Fault, RecordedRequest, Route, json_response
from tests.services.slack_api.webhooks import WebhooksApi


class ControlApi(WebhooksApi):
    """Faults and recorded requests, in Python and under ``/_emulator/``."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route("/_emulator/requests", self._c_requests)
        route("/_emulator/messages", self._c_messages, ("GET", "POST"))
        route("/_emulator/faults", self._c_faults, ("GET", "POST"))
        route("/_emulator/reset", self._c_reset, ("POST",))
        route("/_emulator/webhooks", self._c_webhooks, ("POST",))
        route("/_emulator/channels", self._c_channels, ("POST",))
        route("/_emulator/tokens", self._c_tokens, ("POST",))

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        *,
        retry_after: int | None = None,
        path: str | None = None,
        method: str | None = None,
        body: str | None = None,
    ) -> None:
        """Answer the next ``n`` requests matching ``path`` (glob) with ``status``.

        A 429 gets ``Retry-After`` (1 unless ``retry_after`` says otherwise) and Slack's
        ``ratelimited`` body.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.add(Fault(n, "status", status, retry_after, path, method, body))

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path matches ``path`` (exact or glob)."""
        return [
            r
            for r in self.requests
            if (r.path == path or fnmatch.fnmatchcase(r.path, path))
            and (method is None or r.method == method.upper())
        ]

    def _c_requests(self) -> Response:
        return json_response([r.to_dict() for r in self._requests])

    def _c_messages(self) -> Response:
        if request.method == "POST":
            body = request.get_json(force=True)
            ts = self.post_message(
                body["channel"],
                body.get("text", ""),
                user=body.get("user", "U0HUMAN001"),
                thread_ts=body.get("thread_ts"),
                blocks=body.get("blocks"),
            )
            return json_response(
                {"ok": True, "ts": ts, "channel": self.channel_id(body["channel"])}, 201
            )
        channel = request.args.get("channel")
        try:
            return json_response(self.messages(channel))
        except KeyError:
            return json_response({"error": f"unknown channel {channel}"}, 404)

    def _c_faults(self) -> Response:
        if request.method == "GET":
            return json_response(self._faults.pending())
        body = request.get_json(force=True)
        kind = body.get("kind", "status")
        count = int(body.get("count", 1))
        if kind in ("reset", "close"):
            self.drop_next(count, mode=kind, path=body.get("path"), method=body.get("method"))
        else:
            self.fail_next(
                count,
                int(body.get("status", 429)),
                retry_after=body.get("retry_after"),
                path=body.get("path"),
                method=body.get("method"),
                body=body.get("body"),
            )
        return json_response({"ok": True, "faults": self._faults.pending()}, 201)

    def _c_reset(self) -> Response:
        self.reset()
        return json_response({"ok": True})

    def _c_webhooks(self) -> Response:
        body = request.get_json(force=True)
        path = self.add_webhook(
            body.get("channel", "#general"),
            team=body.get("team"),
            bot=body.get("bot"),
            secret=body.get("secret"),
            username=body.get("username", "incoming-webhook"),
        )
        url = path if path.startswith("http") else request.host_url.rstrip("/") + path
        return json_response({"ok": True, "url": url}, 201)

    def _c_channels(self) -> Response:
        body = request.get_json(force=True)
        channel_id = self.add_channel(
            body["name"],
            body.get("id"),
            private=bool(body.get("private", False)),
            archived=bool(body.get("archived", False)),
            member=bool(body.get("member", True)),
        )
        return json_response({"ok": True, "id": channel_id}, 201)

    def _c_tokens(self) -> Response:
        body = request.get_json(force=True)
        scopes = body.get("scopes")
        identity = self.add_token(
            body["token"],
            user=body.get("user", "shipyard"),
            scopes=scopes.split(",") if isinstance(scopes, str) else scopes,
        )
        return json_response(
            {"ok": True, "user_id": identity.user_id, "bot_id": identity.bot_id}, 201
        )
