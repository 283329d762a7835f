"""The rate limit API: ``GET /rate_limit`` (free of charge, as on GitHub: the caller's own
buckets) and the Python API that sets them. The core keeps one bucket per token and resource
(``core``; ``graphql`` for ``POST /graphql``; anonymous callers share one), charges each
request to its token's bucket and answers 403 "API rate limit exceeded" once it is empty."""

from __future__ import annotations

import math
import time

from flask import Response

from tests.services.emulator_server import Route, json_response
from tests.services.github_api.core import GitHubCore
from tests.services.github_api.model import RESOURCES, RateLimit, RateOverride


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
        token: str | None = None,
        resource: str = "core",
    ) -> dict[str, int]:
        """Set a bucket of ``resource``: ``token``'s, or (``token`` None) every caller's, those
        seen and those to come; ``remaining`` holds until ``reset_in`` seconds (rounded up)
        have passed, when the bucket refills."""
        if resource not in RESOURCES:
            raise ValueError(f"unknown rate-limit resource {resource!r}")
        reset_at = None if reset_in is None else math.ceil(time.time() + reset_in)
        override = RateOverride(limit, remaining, reset_at)
        with self._lock:
            if token is None:
                self._rates.override(resource, override)
                return self._bucket_for(None, resource).to_dict()
            bucket = self._bucket_for(token, resource)
            override.apply(bucket)
            return bucket.to_dict()

    def rate_limit(self, token: str | None = None, resource: str = "core") -> dict[str, int]:
        """A bucket now (limit, used, remaining, reset in epoch seconds): ``token``'s, or the
        anonymous callers' (None)."""
        with self._lock:
            return self._bucket_for(token, resource).to_dict()

    def _bucket_for(self, token: str | None, resource: str) -> RateLimit:
        if token is None:
            return self._bucket(None, None, resource)
        _login, grant = self._tokens[token]
        return self._bucket(token, grant, resource)

    def _v_rate_limit(self) -> Response:
        resources = {name: self._caller_bucket(name).to_dict() for name in RESOURCES}
        return json_response({"resources": resources, "rate": resources["core"]})
