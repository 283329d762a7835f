"""Slack's wire format, shared by the API modules: Web API errors (``{"ok": false, "error":
code}``), the plain-text answers of incoming webhooks and Slack's boolean arguments."""

from __future__ import annotations

from typing import Any

from flask import Response


class SlackApiCallError(Exception):
    """Raised inside handlers; becomes ``{"ok": false, "error": code}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def text_response(body: str, status: int) -> Response:
    return Response(body, status, content_type="text/html")


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
