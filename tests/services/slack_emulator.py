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
import itertools
import json
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from tests.services.emulator_server import (
    DropMode,
    EmulatorServer,
    Fault,
    RecordedRequest,
    json_response,
)
from tests.services.slack_api.blocks import validate_blocks
from tests.services.slack_api.model import Channel, Identity, Message, Webhook, new_id
from tests.services.slack_api.wire import SlackApiCallError, text_response, truthy

DEFAULT_TOKEN = "xoxb-shipyard-test-token"
"""Bot token registered by default (``SlackEmulator(tokens=...)`` replaces it)."""

_TS_RE = re.compile(r"^\d{10}\.\d{6}$")
_CHANNEL_ID_RE = re.compile(r"^[CGD][A-Z0-9]{6,}$")


# ------------------------------------------------------------------------------------ state


# -------------------------------------------------------------------------------- emulator


class SlackEmulator(EmulatorServer):
    """Stateful Slack (Web API + incoming webhooks) on ``127.0.0.1:<free port>``.

    Constructor arguments form the baseline that :meth:`reset` restores; anything added later
    (channels, tokens, webhooks, messages, faults, recorded requests) is dropped by ``reset``.
    """

    TEAM_ID: ClassVar[str] = "T0SHIPYARD"
    TEAM_NAME: ClassVar[str] = "Shipyard Test"
    TEAM_DOMAIN: ClassVar[str] = "shipyard-test"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        channels: Mapping[str, str] | None = None,
        webhooks: Mapping[str, str] | None = None,
    ) -> None:
        """``channels`` maps name to ID; ``webhooks`` maps ``T/B/secret`` to a channel."""
        super().__init__(host, port)
        self._baseline_tokens = list(tokens)
        self._baseline_channels = dict(channels or {})
        self._baseline_webhooks = dict(webhooks or {})
        self.app = self._build_app()
        self._ts_clock = 0.0
        self.reset()

    # ---------------------------------------------------------------- Python API: setup

    @property
    def api_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)`` (ends with a slash)."""
        return f"{self.url}/api/"

    def reset(self) -> None:
        """Restore the baseline: drop messages, requests, faults and everything added since."""
        with self._lock:
            self._channels: dict[str, Channel] = {}
            self._tokens: dict[str, Identity] = {}
            self._webhooks: dict[tuple[str, str, str], Webhook] = {}
            self._messages: dict[str, list[Message]] = {}
            self._requests: list[RecordedRequest] = []
            self._faults.clear()
            self._user_ids = itertools.count(1)
            for name, channel_id in self._baseline_channels.items():
                self.add_channel(name, channel_id)
            for token in self._baseline_tokens:
                self.add_token(token)
            for spec, channel in self._baseline_webhooks.items():
                team, bot, secret = spec.strip("/").split("/")
                self.add_webhook(channel, team=team, bot=bot, secret=secret)

    def add_token(self, token: str, *, user: str = "shipyard", bot: bool | None = None) -> Identity:
        """Accept ``token``; a bot token (``xoxb-`` by default) posts with a bot_id."""
        is_bot = token.startswith("xoxb-") if bot is None else bot
        with self._lock:
            n = next(self._user_ids)
            identity = Identity(
                user_id=f"U{n:010d}",
                user_name=user,
                bot_id=f"B{n:010d}" if is_bot else None,
                app_id=f"A{n:010d}" if is_bot else None,
            )
            self._tokens[token] = identity
            return identity

    def add_channel(
        self,
        name: str,
        id: str | None = None,
        *,
        private: bool = False,
        archived: bool = False,
        member: bool = True,
    ) -> str:
        """Register a channel (``#`` optional) and return its ID (``C...``, generated if unset)."""
        name = name.lstrip("#")
        channel_id = id or new_id("G" if private else "C")
        if not _CHANNEL_ID_RE.match(channel_id):
            raise ValueError(f"not a Slack channel ID: {channel_id!r}")
        with self._lock:
            self._channels[channel_id] = Channel(
                channel_id, name, is_private=private, is_archived=archived, is_member=member
            )
            self._messages.setdefault(channel_id, [])
        return channel_id

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

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0HUMAN001",
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Post as a person (not through the API); returns the message ts."""
        with self._lock:
            channel_id = self._require_channel(channel)
            message = Message(
                channel=channel_id,
                ts=self._next_ts(),
                text=text,
                user=user,
                bot_id=None,
                app_id=None,
                username=None,
                blocks=blocks,
                source="test",
            )
            self._store(message, thread_ts)
            return message.ts

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

    def channel_id(self, channel: str) -> str:
        """The ID of a channel given as ``#name``, ``name`` or ID."""
        with self._lock:
            return self._require_channel(channel)

    def messages(self, channel: str | None = None, *, replies: bool = True) -> list[dict[str, Any]]:
        """Messages (oldest first) in ``channel`` or everywhere; ``replies=False`` hides threads."""
        with self._lock:
            ids = [self._require_channel(channel)] if channel else list(self._messages)
            return [
                m.to_dict()
                for cid in ids
                for m in self._messages.get(cid, [])
                if not m.deleted and (replies or m.thread_ts in (None, m.ts))
            ]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """One stored message, with its ``history`` of previous versions."""
        with self._lock:
            found = self._find_message(self._require_channel(channel), ts)
            if found is None:
                raise KeyError(f"no message {ts} in {channel}")
            return found.to_dict()

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Replies in the thread whose parent is ``ts`` (parent excluded), oldest first."""
        return [m for m in self.messages(channel) if m["thread_ts"] == ts and m["ts"] != ts]

    # ------------------------------------------------------------------------- internals

    def _next_ts(self) -> str:
        now = max(time.time(), self._ts_clock + 0.000001)
        self._ts_clock = now
        return f"{now:.6f}"

    def _find_channel(self, channel: str) -> str | None:
        if channel in self._channels:
            return channel
        name = channel.lstrip("#")
        return next((c.id for c in self._channels.values() if c.name == name), None)

    def _require_channel(self, channel: str) -> str:
        found = self._find_channel(channel)
        if found is None:
            raise KeyError(f"unknown channel {channel!r}")
        return found

    def _find_message(self, channel_id: str, ts: str) -> Message | None:
        return next(
            (m for m in self._messages.get(channel_id, []) if m.ts == ts and not m.deleted), None
        )

    def _store(self, message: Message, thread_ts: str | None) -> None:
        if thread_ts:
            parent = self._find_message(message.channel, thread_ts)
            if parent is not None and parent.thread_ts and parent.thread_ts != parent.ts:
                parent = self._find_message(message.channel, parent.thread_ts) or parent
            if parent is not None:
                parent.thread_ts = parent.ts
                message.thread_ts = parent.ts
                message.parent_user_id = parent.user
            else:
                # Slack accepts an unknown thread_ts and files the reply under it.
                message.thread_ts = thread_ts
        self._messages.setdefault(message.channel, []).append(message)

    def _record(self) -> RecordedRequest:
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.args.items()),
            headers=dict(request.headers.items()),
            body=request.get_data(cache=True),
            time=time.time(),
        )
        self._requests.append(record)
        return record

    def _record_dropped(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], fault: Fault
    ) -> None:
        self._requests.append(
            RecordedRequest(method, path, query, headers, b"", time.time(), None, fault.kind)
        )

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.app.wsgi_app(environ, start_response)

    def _webhook_paths(self) -> list[str]:
        with self._lock:
            return [f"/services/{t}/{b}/{s}" for t, b, s in self._webhooks]

    # ----------------------------------------------------------------------------- the app

    def _build_app(self) -> Flask:
        app = Flask("slack_emulator")
        app.json.sort_keys = False  # type: ignore[attr-defined]

        @app.before_request
        def before() -> Response | None:
            if request.path.startswith("/_emulator/"):
                return None
            g.record = self._record()
            fault = self._faults.take(request.method, request.path, connection=False)
            if fault is not None:
                g.record.fault = f"status {fault.status}"
                return self._fault_response(fault)
            return None

        @app.after_request
        def after(response: Response) -> Response:
            record = g.get("record")
            if record is not None:
                record.status = response.status_code
            response.headers["X-Slack-Req-Id"] = secrets.token_hex(16)
            return response

        @app.errorhandler(HTTPException)
        def http_error(error: HTTPException) -> Response:
            if request.path.startswith("/api/"):
                return json_response({"ok": False, "error": "unknown_method"}, error.code or 404)
            return Response(
                error.name.lower().replace(" ", "_"), error.code or 404, mimetype="text/html"
            )

        app.add_url_rule("/api/<method>", "web_api", self._web_api, methods=["GET", "POST"])
        app.add_url_rule(
            "/services/<team>/<bot>/<secret>", "webhook", self._webhook, methods=["POST"]
        )
        app.add_url_rule("/_emulator/requests", "c_requests", self._c_requests, methods=["GET"])
        app.add_url_rule(
            "/_emulator/messages", "c_messages", self._c_messages, methods=["GET", "POST"]
        )
        app.add_url_rule("/_emulator/faults", "c_faults", self._c_faults, methods=["GET", "POST"])
        app.add_url_rule("/_emulator/reset", "c_reset", self._c_reset, methods=["POST"])
        app.add_url_rule("/_emulator/webhooks", "c_webhooks", self._c_webhooks, methods=["POST"])
        app.add_url_rule("/_emulator/channels", "c_channels", self._c_channels, methods=["POST"])
        app.add_url_rule("/_emulator/tokens", "c_tokens", self._c_tokens, methods=["POST"])
        return app

    def _fault_response(self, fault: Fault) -> Response:
        webhook = request.path.startswith("/services/")
        if fault.body is not None:
            response = Response(fault.body, fault.status, mimetype="text/plain")
        elif fault.status == 429:
            response = (
                Response("rate_limited", 429, mimetype="text/html")
                if webhook
                else json_response({"ok": False, "error": "ratelimited"}, 429)
            )
        else:
            reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
            title = f"{fault.status} {reason.get(fault.status, 'Error')}"
            response = Response(
                f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>",
                fault.status,
                mimetype="text/html",
            )
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    # ------------------------------------------------------------------------- Web API

    def _args(self) -> dict[str, Any]:
        """Arguments from the query string and the form or JSON body, as Slack merges them."""
        args: dict[str, Any] = dict(request.args.items())
        content_type = request.mimetype
        if content_type == "application/json":
            raw = request.get_data(cache=True)
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise SlackApiCallError("invalid_json") from None
                if not isinstance(body, dict):
                    raise SlackApiCallError("json_not_object")
                args.update(body)
            args["__json__"] = True
        else:
            args.update(request.form.items())
        return args

    def _authenticate(self, args: dict[str, Any]) -> Identity:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise SlackApiCallError("invalid_auth")
            token = token.strip()
        elif not args.get("__json__") and isinstance(args.get("token"), str):
            token = args["token"]
        else:
            raise SlackApiCallError("not_authed")
        identity = self._tokens.get(token)
        if identity is None:
            raise SlackApiCallError("invalid_auth")
        return identity

    def _web_api(self, method: str) -> Response:
        handlers = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.info": self._conversations_info,
        }
        handler = handlers.get(method)
        if handler is None:
            return json_response(
                {"ok": False, "error": "unknown_method", "req_method": method}, 404
            )
        try:
            args = self._args()
            identity = None if method == "api.test" else self._authenticate(args)
            result = handler(identity, args)
        except SlackApiCallError as error:
            return json_response({"ok": False, "error": error.error, **error.extra})
        return json_response({"ok": True, **result})

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

    def _channel_arg(self, args: dict[str, Any], *, ids_only: bool) -> Channel:
        value = args.get("channel")
        if not isinstance(value, str) or not value:
            raise SlackApiCallError("channel_not_found")
        if ids_only:
            channel = self._channels.get(value)
        else:
            found = self._find_channel(value)
            channel = self._channels.get(found) if found else None
        if channel is None:
            raise SlackApiCallError("channel_not_found")
        return channel

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
