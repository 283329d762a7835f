"""The Slack emulator's core: its state (channels, tokens, webhooks, messages), who a Web API
call is (bearer token or ``token`` argument) and what its token's OAuth scopes let it call,
the Web API dispatch (``/api/<method>``), faults, request recording, and the Flask app that
every API module adds to.

Scopes, as Slack's Web API checks them: a method names the scopes it accepts; a token without
any of them gets ``{"ok": false, "error": "missing_scope", "needed": ..., "provided": ...}``
(HTTP 200) before its arguments are looked at. Every answer to a token names its scopes in
``X-OAuth-Scopes`` and the method's in ``X-Accepted-OAuth-Scopes``. A token added without
scopes has ``DEFAULT_SCOPES``: all the methods here need.

How to add an API family (say ``reactions.*``):

1. Write ``slack_api/<family>.py`` with one mixin class, ``class ReactionsApi(SlackCore)`` (or
   a subclass of another family it builds on). Give it:
   - its handlers, ``_reactions_add(identity, args) -> dict``, which raise
     ``SlackApiCallError("code")`` for Slack's ``{"ok": false, "error": "code"}`` and use
     ``self._channel_arg``, ``self._find_message``...; their result is merged into the
     ``{"ok": true}`` answer;
   - ``_web_methods(self)``, returning ``{**super()._web_methods(), "reactions.add":
     WebMethod(self._reactions_add, scopes=("reactions:write",))}`` (``authenticated=False``
     for a method that needs no token; add new scopes to ``DEFAULT_SCOPES``);
   - if it serves other URLs, ``_routes(self, route)``: ``super()._routes(route)``, then
     ``route(rule, view, methods)``;
   - any Python API tests need (``reactions(channel, ts)``), taking ``self._lock``.
   State is a dataclass in ``model.py`` kept in the core's containers.
2. Add the class to ``SlackEmulator``'s bases in ``tests/services/slack_emulator.py`` (the
   one registration line).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from tests.services.emulator_server import (
    EmulatorServer,
    Fault,
    RecordedRequest,
    Route,
    json_response,
)
from tests.services.slack_api.model import Channel, Identity, Message, Webhook, new_id
from tests.services.slack_api.wire import SlackApiCallError, WebMethod

DEFAULT_TOKEN = "xoxb-shipyard-test-token"
"""Bot token registered by default (``SlackEmulator(tokens=...)`` replaces it)."""
DEFAULT_SCOPES = ("chat:write", "channels:read", "groups:read", "im:read", "mpim:read")
"""The scopes of a token added without any: every method the emulator serves (but not
``chat:write.public``, which lets a bot post where it is not a member)."""
_CHANNEL_ID_RE = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class SlackCore(EmulatorServer[RecordedRequest]):
    """Stateful Slack (Web API + incoming webhooks) on ``127.0.0.1:<free port>``: the part
    every API family shares.

    Constructor arguments form the baseline that ``reset`` restores; anything added later
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

    @property
    def api_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)`` (ends with a slash)."""
        return f"{self.url}/api/"

    def reset(self) -> None:
        """Drop messages, requests, faults and all state; add the baseline channels and tokens."""
        with self._lock:
            self._channels: dict[str, Channel] = {}
            self._tokens: dict[str, Identity] = {}
            self._webhooks: dict[tuple[str, str, str], Webhook] = {}
            self._messages: dict[str, list[Message]] = {}
            self._requests = []
            self._faults.clear()
            self._user_ids = itertools.count(1)
            for name, channel_id in self._baseline_channels.items():
                self.add_channel(name, channel_id)
            for token in self._baseline_tokens:
                self.add_token(token)

    def add_token(
        self,
        token: str,
        *,
        user: str = "shipyard",
        bot: bool | None = None,
        scopes: Iterable[str] | None = None,
    ) -> Identity:
        """Accept ``token``, granted OAuth ``scopes`` (None: ``DEFAULT_SCOPES``); a bot token
        (``xoxb-`` by default) posts with a bot_id."""
        is_bot = token.startswith("xoxb-") if bot is None else bot
        granted = DEFAULT_SCOPES if scopes is None else tuple(scopes)
        with self._lock:
            n = next(self._user_ids)
            identity = Identity(
                user_id=f"U{n:010d}",
                user_name=user,
                bot_id=f"B{n:010d}" if is_bot else None,
                app_id=f"A{n:010d}" if is_bot else None,
                scopes=granted,
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

        def route(rule: str, view: Any, methods: Sequence[str] = ("GET",)) -> None:
            app.add_url_rule(rule, view.__name__, view, methods=list(methods))

        self._routes(route)
        self._methods = self._web_methods()
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

    def _routes(self, route: Route) -> None:
        """Add this class's URL rules; every API module extends it (calling super first)."""
        route("/api/<method>", self._web_api, ("GET", "POST"))

    def _web_methods(self) -> dict[str, WebMethod]:
        """The Web API methods by name; every API module adds its own (calling super first)."""
        return {}

    def _web_api(self, method: str) -> Response:
        spec = self._methods.get(method)
        if spec is None:
            return json_response(
                {"ok": False, "error": "unknown_method", "req_method": method}, 404
            )
        identity: Identity | None = None
        try:
            args = self._args()
            identity = self._authenticate(args) if spec.authenticated else None
            if identity is not None:
                self._require_scope(identity, spec.scopes)
            response = json_response({"ok": True, **spec.handler(identity, args)})
        except SlackApiCallError as error:
            response = json_response({"ok": False, "error": error.error, **error.extra})
        if identity is not None:
            response.headers["X-OAuth-Scopes"] = ",".join(identity.scopes)
            response.headers["X-Accepted-OAuth-Scopes"] = ",".join(spec.scopes)
        return response

    @staticmethod
    def _require_scope(identity: Identity, accepted: Sequence[str]) -> None:
        """``missing_scope`` (with ``needed`` and ``provided``) unless the token has one of
        ``accepted``."""
        if accepted and not set(accepted) & set(identity.scopes):
            raise SlackApiCallError(
                "missing_scope", needed=",".join(accepted), provided=",".join(identity.scopes)
            )

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
