"""What the approval action's Settings (spec.py) need beyond the runtime's kinds: defaults,
the on-approved-inputs parser, limits. Pure: no I/O."""

from __future__ import annotations

import json
import re

from shipyard.runtime import InputError, parse_key_values

#: The wait when ``timeout`` is empty: a job stops at 6h; this leaves time to close the issue.
DEFAULT_TIMEOUT = 5 * 3600.0 + 50 * 60.0
MIN_POLL_INTERVAL = 1.0
MAX_DISPATCH_INPUTS = 25
#: owner/name; a part made only of dots is refused (it would climb the API's URL path)
REPOSITORY = re.compile(r"^(?!\.+/)[A-Za-z0-9_.-]+/(?!\.+$)[A-Za-z0-9_.-]+$")

DEFAULT_CHECKLIST = "\n".join(
    (
        "All tests passing",
        "Security scans clear",
        "Staging deployment successful",
        "Database migrations reviewed",
        "Rollback plan ready",
    )
)


def parse_dispatch_inputs(text: str) -> dict[str, str]:
    """``on-approved-inputs``: lines ``name=value`` or a JSON object; values as strings."""
    text = text.strip()
    if not text:
        return {}
    result = (
        _json_inputs(text)
        if text.startswith("{")
        else dict(parse_key_values("on-approved-inputs", text))
    )
    if len(result) > MAX_DISPATCH_INPUTS:
        raise InputError(
            "on-approved-inputs",
            f"has {len(result)} inputs; workflow_dispatch takes at most {MAX_DISPATCH_INPUTS}.",
        )
    return result


def _json_inputs(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError("on-approved-inputs", f"is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise InputError("on-approved-inputs", "must be a JSON object.")
    result: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, (dict, list)) or value is None:
            raise InputError("on-approved-inputs", f"'{key}' must be a string, number or boolean.")
        result[str(key)] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return result


__all__ = [
    "DEFAULT_CHECKLIST",
    "DEFAULT_TIMEOUT",
    "MIN_POLL_INTERVAL",
    "REPOSITORY",
    "parse_dispatch_inputs",
]
