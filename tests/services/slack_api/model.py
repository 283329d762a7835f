"""The Slack emulator's state: channels, the identities tokens and webhooks post as, incoming
webhooks and messages (with their threads and edit history)."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Channel:
    """A channel (public ``C...`` or private ``G...``) and whether the bot is in it."""

    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = True
    created: int = field(default_factory=lambda: int(time.time()))

    def to_api(self) -> dict[str, Any]:
        """The channel as ``conversations.info`` returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": "",
            "is_member": self.is_member,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }


@dataclass
class Identity:
    """Who a token (or webhook) posts as, and the OAuth scopes the token was granted."""

    user_id: str
    user_name: str
    bot_id: str | None
    app_id: str | None
    scopes: tuple[str, ...] = ()


@dataclass
class Webhook:
    """An incoming webhook: its URL parts, its channel and who it posts as."""

    team: str
    bot: str
    secret: str
    channel_id: str
    identity: Identity


@dataclass
class Message:
    """A message; ``history`` holds its earlier versions, ``deleted`` hides it."""

    channel: str
    ts: str
    text: str
    user: str
    bot_id: str | None
    app_id: str | None
    username: str | None
    blocks: list[dict[str, Any]] | None = None
    attachments: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    source: str = "api"
    edited: dict[str, str] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    reply_broadcast: bool = False
    metadata: dict[str, Any] | None = None
    deleted: bool = False

    def to_api(self, team: str) -> dict[str, Any]:
        """The message as Slack returns it in ``message``."""
        out: dict[str, Any] = {"user": self.user, "type": "message", "ts": self.ts}
        if self.source == "webhook":
            out["subtype"] = "bot_message"
        if self.bot_id:
            out["bot_id"] = self.bot_id
            out["app_id"] = self.app_id
        out["text"] = self.text
        out["team"] = team
        if self.username:
            out["username"] = self.username
        if self.bot_id:
            out["bot_profile"] = {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.username or "shipyard",
                "icons": {"image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png"},
                "deleted": False,
                "updated": int(float(self.ts)),
                "team_id": team,
            }
        if self.blocks is not None:
            out["blocks"] = self.blocks
        if self.attachments is not None:
            out["attachments"] = self.attachments
        if self.thread_ts and self.thread_ts != self.ts:
            out["thread_ts"] = self.thread_ts
            out["parent_user_id"] = self.parent_user_id
        if self.edited:
            out["edited"] = self.edited
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out

    def to_dict(self) -> dict[str, Any]:
        """The stored message for tests, including its edit history."""
        return {
            "channel": self.channel,
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
            "attachments": self.attachments,
            "thread_ts": self.thread_ts,
            "user": self.user,
            "bot_id": self.bot_id,
            "username": self.username,
            "source": self.source,
            "edited": self.edited,
            "history": list(self.history),
            "reply_broadcast": self.reply_broadcast,
            "metadata": self.metadata,
        }


def new_id(prefix: str) -> str:
    """A Slack-style ID: ``prefix`` and ten upper-case letters or digits."""
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(10))
