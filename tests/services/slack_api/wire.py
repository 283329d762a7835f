"""Slack's wire format, shared by the API modules: Web API errors (``{"ok": false, "error":
code}``), the plain-text answers of incoming webhooks, Slack's boolean arguments, and how an
API module declares a Web API method (``WebMethod``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Response

if TYPE_CHECKING:
    from tests.services.slack_api.model import Identity


class SlackApiCallError(Exception):
    """Raised inside handlers; becomes ``{"ok": false, "error": code}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def text_response(body: str, status: int) -> Response:
    """A plain-text answer, as hooks.slack.com gives."""
    return Response(body, status, content_type="text/html")


def truthy(value: Any) -> bool:
    """A boolean argument as Slack reads it: ``1``, ``true`` or ``yes`` as text, else its truth."""
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


@dataclass(frozen=True)
class WebMethod:
    """A Web API method: its handler, called with the caller's identity (None for a method that
    needs no token) and its arguments, returning the fields of an ``"ok": true`` answer; and
    the OAuth ``scopes`` it accepts (any one of them; none: any token)."""

    handler: Callable[[Identity | None, dict[str, Any]], dict[str, Any]]
    authenticated: bool = True
    scopes: tuple[str, ...] = ()
