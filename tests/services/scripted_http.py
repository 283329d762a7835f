"""A real HTTP server on loopback whose answers a test scripts, and which records requests.

Used for the runtime's HTTP client (retries, Retry-After, proxies) and as the receiver of
notify's generic webhook.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    #: Close the connection without answering (a connection error for the client).
    drop: bool = False


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedHttpServer:
    """Answers queued responses in order, then ``default``; records every request."""

    def __init__(self) -> None:
        self.queue: list[Answer] = []
        self.default = Answer()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.requests.append(
                        Recorded(self.command, self.path, dict(self.headers.items()), body)
                    )
                    answer = outer.queue.pop(0) if outer.queue else outer.default
                if answer.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ScriptedHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, status: int = 200, body: bytes | str = b"ok", **headers: str) -> None:
        """Queue one answer (headers with underscores become dashes: Retry_After)."""
        data = body.encode() if isinstance(body, str) else body
        self.queue.append(
            Answer(status, data, {k.replace("_", "-"): v for k, v in headers.items()})
        )

    def drop(self) -> None:
        """Queue a dropped connection."""
        self.queue.append(Answer(drop=True))
