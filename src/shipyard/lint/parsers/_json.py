"""Shared helpers of the JSON parsers."""

from __future__ import annotations

import json
from typing import Any

from shipyard.lint.findings import ParseError


def load(stdout: str, tool: str, *, empty: Any) -> Any:
    """The JSON document a linter printed; ``empty`` when it printed nothing."""
    text = stdout.strip()
    if not text:
        return empty
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ParseError(f"{tool} did not print JSON: {exc}") from None


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default
