"""HTTP endpoints: ``/`` (the version), ``/health`` (liveness) and ``/version`` (plain text).

Configuration comes from the environment, as a container gets it:

* ``APP_VERSION``: the version it answers with (the image's build argument ``VERSION``).
* ``PORT``: where it listens (default 8080).
* ``UNHEALTHY_AFTER``: ``-1`` healthy for ever (default), ``0`` unhealthy from the start,
  ``N`` unhealthy after N seconds (to show a deploy rolling back).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app import __version__

# In a container the app listens on every interface (the host publishes the port).
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  # nosec B104


@dataclass(frozen=True)
class Config:
    """What the service needs to know, read once at start."""

    version: str = __version__
    port: int = 8080
    unhealthy_after: float = -1.0
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        return cls(
            version=env.get("APP_VERSION") or __version__,
            port=int(env.get("PORT") or 8080),
            unhealthy_after=float(env.get("UNHEALTHY_AFTER") or -1),
        )

    def healthy(self, now: float | None = None) -> bool:
        """Whether /health answers 200 at ``now`` (monotonic seconds)."""
        if self.unhealthy_after < 0:
            return True
        elapsed = (time.monotonic() if now is None else now) - self.started
        return elapsed < self.unhealthy_after


def respond(config: Config, path: str) -> tuple[int, str, str]:
    """Status, content type and body for a GET of ``path``."""
    route = path.split("?", 1)[0]
    if route == "/":
        body = json.dumps({"app": "sample-app", "version": config.version})
        return HTTPStatus.OK, "application/json", body + "\n"
    if route == "/version":
        return HTTPStatus.OK, "text/plain; charset=utf-8", config.version + "\n"
    if route == "/health":
        if config.healthy():
            return HTTPStatus.OK, "text/plain; charset=utf-8", f"ok {config.version}\n"
        return HTTPStatus.SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "unhealthy\n"
    return HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n"


def make_handler(config: Config) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``config``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "sample-app"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            status, content_type, body = respond(config, self.path)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            if os.environ.get("APP_ACCESS_LOG", "1") != "0":
                super().log_message(format, *args)

    return Handler


def serve(config: Config, host: str = ALL_INTERFACES) -> ThreadingHTTPServer:
    """A server bound to ``host``:``config.port`` (not yet serving)."""
    return ThreadingHTTPServer((host, config.port), make_handler(config))
