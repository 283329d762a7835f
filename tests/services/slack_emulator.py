"""A stateful Slack emulator that speaks the real wire protocols.

It serves incoming webhooks (``POST /services/<T>/<B>/<secret>``) and the Web API methods the
actions use (``/api/chat.postMessage``, ``chat.update``, ``chat.delete``, ``auth.test``,
``conversations.info``), with Slack's response shapes and error codes and its OAuth scope check
(``add_token(..., scopes=[...])``: ``missing_scope`` with ``needed`` and ``provided``,
``X-OAuth-Scopes``, ``X-Accepted-OAuth-Scopes``; a token added without scopes has all the
methods need), so ``slack_sdk`` and plain ``requests`` clients can be tested against it.
Every request is recorded; faults (429 with Retry-After, 5xx, dropped connections) can be
queued. A test drives it through the Python API; a separate process through the
``/_emulator/`` control endpoints.

One module per API family in ``slack_api/``: ``auth.py`` (``api.test``, ``auth.test``),
``chat.py`` (``chat.*``, Block Kit checks in ``blocks.py``), ``conversations.py``,
``webhooks.py`` (incoming webhooks), ``control.py`` (faults, recorded requests,
``/_emulator/``), all on ``core.py`` (state, token auth, the Web API dispatch), which also says
how to add one.

Run it standalone with ``python -m tests.services.slack_emulator --port 8085``.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable, Iterator

from tests.services.slack_api.auth import AuthApi
from tests.services.slack_api.chat import ChatApi
from tests.services.slack_api.control import ControlApi
from tests.services.slack_api.conversations import ConversationsApi
from tests.services.slack_api.core import DEFAULT_SCOPES, DEFAULT_TOKEN, SlackCore
from tests.services.slack_api.webhooks import WebhooksApi

__all__ = ["DEFAULT_SCOPES", "DEFAULT_TOKEN", "SlackEmulator", "main"]


class SlackEmulator(
    # The API families it serves, one line each; a class goes before the ones it builds on.
    ControlApi,
    WebhooksApi,
    ChatApi,
    ConversationsApi,
    AuthApi,
    SlackCore,
):
    """Stateful Slack (Web API + incoming webhooks) on ``127.0.0.1:<free port>``.

    Constructor arguments form the baseline that :meth:`reset` restores; anything added later
    (channels, tokens, webhooks, messages, faults, recorded requests) is dropped by ``reset``.
    """


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
