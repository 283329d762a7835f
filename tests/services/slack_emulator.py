"""A stateful Slack emulator that speaks the real wire protocols.

It serves incoming webhooks (``POST /services/<T>/<B>/<secret>``) and the Web API methods the
actions use (``/api/chat.postMessage``, ``chat.update``, ``chat.delete``, ``auth.test``,
``conversations.info``), with Slack's response shapes and error codes, so ``slack_sdk`` and plain
``requests`` clients can be tested against it. Every request is recorded; faults (429 with
Retry-After, 5xx, dropped connections) can be queued. A test drives it through the Python API;
a separate process through the ``/_emulator/`` control endpoints.

Run it standalone with ``python -m tests.services.slack_emulator --port 8085``.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, request

from tests.services.emulator_server import (
    DropMode,
    Fault,
    RecordedRequest,
    Route,
    json_response,
)
from tests.services.slack_api.blocks import validate_blocks
from tests.services.slack_api.core import DEFAULT_TOKEN, SlackCore
from tests.services.slack_api.model import Identity, Message, Webhook, new_id
from tests.services.slack_api.wire import SlackApiCallError, WebMethod, text_response, truthy

_TS_RE = re.compile(r"^\d{10}\.\d{6}$")

# ------------------------------------------------------------------------------------ state


# -------------------------------------------------------------------------------- emulator


class SlackEmulator(SlackCore):
    """Stateful Slack (Web API + incoming webhooks) on ``127.0.0.1:<free port>``.

    Constructor arguments form the baseline that :meth:`reset` restores; anything added later
    (channels, tokens, webhooks, messages, faults, recorded requests) is dropped by ``reset``.
    """

    # ---------------------------------------------------------------- Python API: setup

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

    def drop_next(
        self,
        n: int = 1,
        *,
        mode: DropMode = "reset",
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Drop the connection of the next ``n`` matching requests (RST or close, no answer)."""
        with self._lock:
            self._faults.add(Fault(n, mode, 0, None, path, method))

    # -------------------------------------------------------------- Python API: inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received (control endpoints excepted), oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path matches ``path`` (exact or glob)."""
        return [
            r
            for r in self.requests
            if (r.path == path or fnmatch.fnmatchcase(r.path, path))
            and (method is None or r.method == method.upper())
        ]

    # ------------------------------------------------------------------------- internals

    def _webhook_paths(self) -> list[str]:
        with self._lock:
            return [f"/services/{t}/{b}/{s}" for t, b, s in self._webhooks]

    # ----------------------------------------------------------------------------- the app

    # ------------------------------------------------------------------------- Web API

    def _api_test(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        if "error" in args:
            raise SlackApiCallError(str(args["error"]), args={"error": args["error"]})
        return {"args": {k: v for k, v in args.items() if k not in ("token", "__json__")}}

    def _auth_test(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        assert identity is not None
        result: dict[str, Any] = {
            "url": f"https://{self.TEAM_DOMAIN}.slack.com/",
            "team": self.TEAM_NAME,
            "user": identity.user_name,
            "team_id": self.TEAM_ID,
            "user_id": identity.user_id,
        }
        if identity.bot_id:
            result["bot_id"] = identity.bot_id
        result["is_enterprise_install"] = False
        return result

    def _content(
        self, args: dict[str, Any], *, required: bool = True
    ) -> tuple[str | None, list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
        """text, blocks, attachments from the arguments, validated as Slack does."""
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
        blocks = None
        if args.get("blocks") not in (None, ""):
            blocks, error, messages = validate_blocks(args["blocks"])
            if error:
                raise SlackApiCallError(
                    error, errors=messages, response_metadata={"messages": messages}
                )
        attachments = None
        if args.get("attachments") not in (None, ""):
            raw = args["attachments"]
            if isinstance(raw, str):
                try:
                    raw = json.loads(raw)
                except ValueError:
                    raise SlackApiCallError("invalid_attachments") from None
            if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
                raise SlackApiCallError("invalid_attachments")
            if len(raw) > 100:
                raise SlackApiCallError("too_many_attachments")
            attachments = raw
        if required and not text and not blocks and not attachments:
            raise SlackApiCallError("no_text")
        if text and len(text) > 40000:
            raise SlackApiCallError("msg_too_long")
        return text, blocks, attachments

    def _chat_post_message(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        assert identity is not None
        channel = self._channel_arg(args, ids_only=False)
        text, blocks, attachments = self._content(args)
        if channel.is_archived:
            raise SlackApiCallError("is_archived")
        if not channel.is_member:
            raise SlackApiCallError("not_in_channel")
        thread_ts = args.get("thread_ts")
        if thread_ts not in (None, ""):
            thread_ts = str(thread_ts)
            if not _TS_RE.match(thread_ts):
                raise SlackApiCallError("invalid_thread_ts")
        else:
            thread_ts = None
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                raise SlackApiCallError("invalid_metadata_format") from None
        message = Message(
            channel=channel.id,
            ts=self._next_ts(),
            text=text or "",
            user=identity.user_id,
            bot_id=identity.bot_id,
            app_id=identity.app_id,
            username=args.get("username") if identity.bot_id else None,
            blocks=blocks,
            attachments=attachments,
            reply_broadcast=truthy(args.get("reply_broadcast")),
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        self._store(message, thread_ts)
        return {
            "channel": channel.id,
            "ts": message.ts,
            "message": message.to_api(self.TEAM_ID),
        }

    def _chat_update(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        assert identity is not None
        channel = self._channel_arg(args, ids_only=True)
        ts = args.get("ts")
        message = self._find_message(channel.id, str(ts)) if ts else None
        if message is None:
            raise SlackApiCallError("message_not_found")
        if message.user != identity.user_id:
            raise SlackApiCallError("cant_update_message")
        text, blocks, attachments = self._content(args)
        if channel.is_archived:
            raise SlackApiCallError("is_archived")
        message.history.append(
            {
                "text": message.text,
                "blocks": message.blocks,
                "attachments": message.attachments,
                "edited": message.edited,
            }
        )
        message.text = text or ""
        if "blocks" in args:
            message.blocks = blocks
        if "attachments" in args:
            message.attachments = attachments
        message.edited = {"user": identity.user_id, "ts": self._next_ts()}
        return {
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_api(self.TEAM_ID),
        }

    def _chat_delete(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        assert identity is not None
        channel = self._channel_arg(args, ids_only=True)
        ts = args.get("ts")
        message = self._find_message(channel.id, str(ts)) if ts else None
        if message is None:
            raise SlackApiCallError("message_not_found")
        if message.user != identity.user_id:
            raise SlackApiCallError("cant_delete_message")
        message.deleted = True
        return {"channel": channel.id, "ts": message.ts}

    def _conversations_info(
        self, identity: Identity | None, args: dict[str, Any]
    ) -> dict[str, Any]:
        return {"channel": self._channel_arg(args, ids_only=True).to_api()}

    # ------------------------------------------------------------------------ webhooks

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

    def _web_methods(self) -> dict[str, WebMethod]:
        return {
            **super()._web_methods(),
            "api.test": WebMethod(self._api_test, authenticated=False),
            "auth.test": WebMethod(self._auth_test),
            "chat.postMessage": WebMethod(self._chat_post_message),
            "chat.update": WebMethod(self._chat_update),
            "chat.delete": WebMethod(self._chat_delete),
            "conversations.info": WebMethod(self._conversations_info),
        }

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route("/services/<team>/<bot>/<secret>", self._webhook, ("POST",))
        route("/_emulator/requests", self._c_requests)
        route("/_emulator/messages", self._c_messages, ("GET", "POST"))
        route("/_emulator/faults", self._c_faults, ("GET", "POST"))
        route("/_emulator/reset", self._c_reset, ("POST",))
        route("/_emulator/webhooks", self._c_webhooks, ("POST",))
        route("/_emulator/channels", self._c_channels, ("POST",))
        route("/_emulator/tokens", self._c_tokens, ("POST",))

    def reset(self) -> None:
        """Restore the baseline: drop messages, requests, faults and everything added since."""
        with self._lock:
            super().reset()
            for spec, channel in self._baseline_webhooks.items():
                team, bot, secret = spec.strip("/").split("/")
                self.add_webhook(channel, team=team, bot=bot, secret=secret)

    # ---------------------------------------------------------------- control endpoints

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
        identity = self.add_token(body["token"], user=body.get("user", "shipyard"))
        return json_response(
            {"ok": True, "user_id": identity.user_id, "bot_id": identity.bot_id}, 201
        )


# ---------------------------------------------------------------------------------- CLI


def _pairs(values: Iterable[str], flag: str) -> Iterator[tuple[str, str]]:
    for value in values:
        key, sep, target = value.partition("=")
        if not sep:
            raise SystemExit(f"{flag} expects KEY=VALUE, got {value!r}")
        yield key, target


def main(argv: list[str] | None = None) -> int:
    """Serve the emulator until killed."""
    parser = argparse.ArgumentParser(prog="python -m tests.services.slack_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", action="append", default=[], help="accepted token (repeat)")
    parser.add_argument(
        "--channel", action="append", default=[], metavar="NAME=ID", help="register a channel"
    )
    parser.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="T/B/SECRET=#CHANNEL",
        help="register an incoming webhook",
    )
    args = parser.parse_args(argv)
    emulator = SlackEmulator(
        args.host,
        args.port,
        tokens=args.token or [DEFAULT_TOKEN],
        channels=dict(_pairs(args.channel, "--channel")),
        webhooks=dict(_pairs(args.webhook, "--webhook")),
    )
    server = emulator._make_server()
    emulator._server = server
    print(f"slack emulator listening on {emulator.url}", flush=True)
    for path in emulator._webhook_paths():
        print(f"webhook {emulator.url}{path}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
