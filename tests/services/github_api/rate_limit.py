"""The rate limit API: ``GET /rate_limit`` (free of charge, as on GitHub) and the Python API
that sets the primary (core) bucket. The core charges each request to that bucket and answers
403 "API rate limit exceeded" once it is empty."""

from __future__ import annotations

import math
import time

from flask import Response

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.core import GitHubCore


class RateLimitApi(GitHubCore):
    """The primary rate limit: reading it over HTTP, setting it from a test."""

    def _routes(self, route: Route) -> None:
        super()._routes(route)
        route("/rate_limit", self._v_rate_limit)

    def set_rate_limit(
        self,
        *,
        remaining: int | None = None,
        reset_in: float | None = None,
        limit: int | None = None,
    ) -> dict[str, int]:
        """Set the core limit; it refills when ``reset_in`` seconds (rounded up) have passed."""
        with self._lock:
            self._rate.refresh()
            if limit is not None:
                self._rate.limit = limit
            if remaining is not None:
                self._rate.used = max(self._rate.limit - remaining, 0)
            if reset_in is not None:
                self._rate.reset_at = math.ceil(time.time() + reset_in)
            return self._rate.to_dict()

    def rate_limit(self) -> dict[str, int]:
        """The core bucket now: limit, used, remaining, reset (epoch seconds)."""
        with self._lock:
            self._rate.refresh()
            return self._rate.to_dict()

    def _v_rate_limit(self) -> Response:
        self._rate.refresh()
        core = self._rate.to_dict()

        def other(limit: int) -> dict[str, int]:
            return {"limit": limit, "used": 0, "remaining": limit, "reset": self._rate.reset_at}

        return json_response(
            {
                "resources": {
                    "core": core,
                    "search": other(30),
                    "graphql": other(5000),
                    "integration_manifest": other(5000),
                    "code_search": other(10),
                },
                "rate": core,
            }
        )
