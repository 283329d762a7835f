"""The ``chat.*`` Web API methods: ``chat.postMessage`` (to a channel by name or ID, in a
thread, with blocks, attachments and metadata), ``chat.update`` (its edit history kept) and
``chat.delete``, with Slack's checks and error codes (``channel_not_found``,
``not_in_channel``, ``is_archived``, ``no_text``, ``msg_too_long``, ``invalid_blocks``,
``cant_update_message``...)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.services.slack_api.blocks import validate_blocks
from tests.services.slack_api.core import SlackCore
from tests.services.slack_api.model import Channel, Identity, Message
from tests.services.slack_api.wire import SlackApiCallError, WebMethod, truthy

_TS_RE = re.compile(r"^\d{10}\.\d{6}$")


class ChatApi(SlackCore):
    """Posting, updating and deleting messages."""

    def _web_methods(self) -> dict[str, WebMethod]:
        return {
            **super()._web_methods(),
            "chat.postMessage": WebMethod(self._chat_post_message, scopes=("chat:write",)),
            "chat.update": WebMethod(self._chat_update, scopes=("chat:write",)),
            "chat.delete": WebMethod(self._chat_delete, scopes=("chat:write",)),
        }

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
        public_ok = not channel.is_private and "chat:write.public" in identity.scopes
        if not channel.is_member and not public_ok:
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

    def _own_message(
        self, identity: Identity, args: dict[str, Any], not_yours: str
    ) -> tuple[Channel, Message]:
        """The channel (by ID) and message (by ``ts``) the arguments name, posted by
        ``identity``: ``channel_not_found``, ``message_not_found`` or ``not_yours`` if not."""
        channel = self._channel_arg(args, ids_only=True)
        ts = args.get("ts")
        message = self._find_message(channel.id, str(ts)) if ts else None
        if message is None:
            raise SlackApiCallError("message_not_found")
        if message.user != identity.user_id:
            raise SlackApiCallError(not_yours)
        return channel, message

    def _chat_update(self, identity: Identity | None, args: dict[str, Any]) -> dict[str, Any]:
        assert identity is not None
        channel, message = self._own_message(identity, args, "cant_update_message")
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
        channel, message = self._own_message(identity, args, "cant_delete_message")
        message.deleted = True
        return {"channel": channel.id, "ts": message.ts}
