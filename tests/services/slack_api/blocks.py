"""Block Kit validation as Slack does it for ``chat.postMessage``, ``chat.update`` and
incoming webhooks: the block types, text objects and element counts it checks, with its
error codes (``invalid_blocks``, ``invalid_blocks_format``) and messages (JSON pointers)."""

from __future__ import annotations

import json
from typing import Any

# Block Kit types accepted in messages; anything else is ``invalid_blocks`` as on Slack.
_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)


def _text_object_error(obj: Any, pointer: str, *, plain_only: bool = False) -> str | None:
    if not isinstance(obj, dict):
        return f"must be an object [json-pointer:{pointer}]"
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in kinds:
        return f"must be one of {', '.join(kinds)} [json-pointer:{pointer}/type]"
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return f"must be more than 0 characters [json-pointer:{pointer}/text]"
    if len(text) > 3000:
        return f"must be less than 3001 characters [json-pointer:{pointer}/text]"
    return None


def _block_error(block: Any, pointer: str) -> str | None:
    """A Slack-style validation message for one block, or None if it is acceptable."""
    if not isinstance(block, dict):
        return f"must be an object [json-pointer:{pointer}]"
    kind = block.get("type")
    if not isinstance(kind, str) or not kind:
        return f"missing required field: type [json-pointer:{pointer}]"
    if kind not in _BLOCK_TYPES:
        return f"unsupported type: {kind} [json-pointer:{pointer}/type]"
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > 255):
        return f"must be a string of at most 255 characters [json-pointer:{pointer}/block_id]"
    if kind == "header":
        error = _text_object_error(block.get("text"), f"{pointer}/text", plain_only=True)
        if error is None and len(block["text"]["text"]) > 150:
            return f"must be less than 151 characters [json-pointer:{pointer}/text/text]"
        return error
    if kind == "section":
        if "text" not in block and "fields" not in block:
            return f"must provide either text or fields [json-pointer:{pointer}]"
        if "text" in block:
            error = _text_object_error(block["text"], f"{pointer}/text")
            if error:
                return error
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                return f"must be an array of 1 to 10 items [json-pointer:{pointer}/fields]"
            for i, item in enumerate(fields):
                error = _text_object_error(item, f"{pointer}/fields/{i}")
                if error:
                    return error
        return None
    if kind in ("context", "actions", "rich_text"):
        limit = {"context": 10, "actions": 25, "rich_text": 100}[kind]
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= limit:
            return f"must be an array of 1 to {limit} items [json-pointer:{pointer}/elements]"
        for i, element in enumerate(elements):
            if not isinstance(element, dict) or not isinstance(element.get("type"), str):
                return f"missing required field: type [json-pointer:{pointer}/elements/{i}]"
        return None
    if kind == "image":
        if not isinstance(block.get("image_url"), str) and "slack_file" not in block:
            return f"must provide image_url or slack_file [json-pointer:{pointer}]"
        if not isinstance(block.get("alt_text"), str):
            return f"missing required field: alt_text [json-pointer:{pointer}]"
        return None
    if kind == "markdown" and not isinstance(block.get("text"), str):
        return f"missing required field: text [json-pointer:{pointer}]"
    return None


def validate_blocks(blocks: Any) -> tuple[list[dict[str, Any]] | None, str | None, list[str]]:
    """Parse and check ``blocks`` as Slack does: (blocks, error code, error messages)."""
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return None, "invalid_blocks_format", ["[ERROR] blocks must be a JSON array"]
    if not isinstance(blocks, list):
        return None, "invalid_blocks_format", ["[ERROR] blocks must be a JSON array"]
    if len(blocks) > 50:
        return (
            None,
            "invalid_blocks",
            ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"],
        )
    for i, block in enumerate(blocks):
        message = _block_error(block, f"/blocks/{i}")
        if message:
            return None, "invalid_blocks", [f"[ERROR] {message}"]
    return blocks, None, []
