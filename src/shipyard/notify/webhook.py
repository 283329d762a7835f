"""The generic webhook: the notification as JSON, POSTed to any URL."""

from __future__ import annotations

from typing import Any

from shipyard.runtime import ExternalError, HttpClient


def send_json(http: HttpClient, url: str, body: dict[str, Any]) -> int:
    """POST and return the status; anything but 2xx is a failure (the URL is never shown)."""
    response = http.request("POST", url, json=body, describe="Webhook", source="webhook-url")
    if 200 <= response.status_code < 300:
        return response.status_code
    raise ExternalError(f"Webhook answered HTTP {response.status_code}.")
