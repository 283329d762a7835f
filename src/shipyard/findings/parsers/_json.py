"""Shared helpers of the JSON parsers."""

from __future__ import annotations

import json
from typing import Any

from ..model import ParseError


def load(stdout: str, tool: str, *, empty: Any) -> Any:
    """The JSON document a linter printed; ``empty`` when it printed nothing."""
    text = stdout.strip()
    if not text:
        return empty
    try:
        return json.loads(text)
    except ValueError as exc:
        problem = exc
    # stderr is merged into the output: find the document among the log lines around it.
    decoder = json.JSONDecoder()
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith(("[", "{")):
            try:
                return decoder.raw_decode(text, offset + len(line) - len(line.lstrip()))[0]
            except ValueError:
                pass
        offset += len(line)
    raise ParseError(f"{tool} did not print JSON: {problem}")


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text(value: Any, default: str = "") -> str:
    """``value`` when it is a string, else ``default``."""
    return value if isinstance(value, str) else default
