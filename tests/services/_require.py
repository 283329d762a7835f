"""How a test reacts when a service it needs cannot run.

Under CI (``CI=true``) a missing service is a failure with the reason; elsewhere the test is
skipped with the reason, so a developer without root can still run the rest.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(service: str, reason: str) -> NoReturn:
    """Fail (CI) or skip (elsewhere) the current test because ``service`` cannot run."""
    message = f"{service} is not available: {reason}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
