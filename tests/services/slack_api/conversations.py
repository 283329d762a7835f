"""The ``conversations.*`` Web API methods: ``conversations.info`` (a channel by ID, as
Slack describes it)."""

from __future__ import annotations

from typing import Any

from tests.services.slack_api.core import SlackCore
from tests.services.slack_api.model import Identity
from tests.services.slack_api.wire import WebMethod


class ConversationsApi(SlackCore):
    """``conversations.info``."""

    def _web_methods(self) -> dict[str, WebMethod]:
        return {
            **super()._web_methods(),
            "conversations.info": WebMethod(
                self._conversations_info,
                scopes=("channels:read", "groups:read", "im:read", "mpim:read"),
            ),
        }

    def _conversations_info(
        self, identity: Identity | None, args: dict[str, Any]
    ) -> dict[str, Any]:
        return {"channel": self._channel_arg(args, ids_only=True).to_api()}
