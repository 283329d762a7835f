"""A real HTTP reverse proxy on loopback that can answer errors instead of its upstream.

Put it in front of the test registry (``FaultyProxy(registry.port)``): image references then
use ``proxy.address`` (127.0.0.1:<port>, plain HTTP like the registry, which dockerd allows for
loopback), and every request is forwarded to the registry with its Host header unchanged, so
the registry's absolute ``Location`` URLs point back at the proxy. ``fail_next(2)`` makes the
next two requests (or the next two matching a method and path fragment) answer 503 without
reaching the registry; ``requests`` records what came through and what was answered.

Request bodies are forwarded whole (Content-Length or chunked); responses are read whole and
sent with a Content-Length. Enough for docker pushes and pulls of small test images.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


@dataclass(frozen=True)
class ProxiedRequest:
    method: str
    path: str
    status: int
    injected: bool


@dataclass
class FaultRule:
    remaining: int
    status: int
    method: str | None
    path_contains: str | None

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method and method.upper() != self.method.upper():
            return False
        return not (self.path_contains and self.path_contains not in path)


class FaultyProxy:
    """``start()`` / ``stop()`` (or ``with FaultyProxy(port) as proxy:``)."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rules: list[FaultRule] = []
        self.requests: list[ProxiedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------
    def fail_next(
        self,
        count: int,
        status: int = 503,
        *,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer ``status`` to the next ``count`` requests (that match method/path)."""
        with self._lock:
            self.rules.append(FaultRule(count, status, method, path_contains))

    @property
    def injected(self) -> list[ProxiedRequest]:
        with self._lock:
            return [r for r in self.requests if r.injected]

    @property
    def port(self) -> int:
        assert self._server is not None, "the proxy is not started"
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _fault_for(self, method: str, path: str) -> int | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    return rule.status
        return None

    def _record(self, method: str, path: str, status: int, injected: bool) -> None:
        with self._lock:
            self.requests.append(ProxiedRequest(method, path, status, injected))

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> FaultyProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size_line = self.rfile.readline().strip()
                        size = int(size_line.split(b";", 1)[0] or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                body = self._body()
                fault = proxy._fault_for(self.command, self.path)
                if fault is not None:
                    proxy._record(self.command, self.path, fault, True)
                    payload = json.dumps(
                        {
                            "errors": [
                                {"code": "UNAVAILABLE", "message": "injected by the faulty proxy"}
                            ]
                        }
                    ).encode()
                    self._reply(fault, [("Content-Type", "application/json")], payload)
                    return
                # A list, not a dict: docker sends several Accept lines, and a registry that
                # sees only one may answer an old manifest format.
                headers = [
                    (key, value)
                    for key, value in self.headers.items()
                    if key.lower() not in HOP_BY_HOP
                ]
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                try:
                    connection.putrequest(
                        self.command, self.path, skip_host=True, skip_accept_encoding=True
                    )
                    for key, value in headers:
                        connection.putheader(key, value)
                    if body or self.command in ("POST", "PUT", "PATCH"):
                        connection.putheader("Content-Length", str(len(body)))
                    connection.endheaders(body or None)
                    response = connection.getresponse()
                    data = response.read()
                    status = response.status
                    reply_headers = [
                        (k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP
                    ]
                    if self.command == "HEAD":
                        length = response.getheader("Content-Length")
                        reply_headers = [
                            h for h in reply_headers if h[0].lower() != "content-length"
                        ]
                        proxy._record(self.command, self.path, status, False)
                        self.send_response(status)
                        for key, value in reply_headers:
                            self.send_header(key, value)
                        if length is not None:
                            self.send_header("Content-Length", length)
                        self.end_headers()
                        return
                except OSError as exc:
                    proxy._record(self.command, self.path, 502, False)
                    self._reply(502, [("Content-Type", "text/plain")], str(exc).encode())
                    return
                finally:
                    connection.close()
                proxy._record(self.command, self.path, status, False)
                self._reply(status, reply_headers, data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="faulty-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@contextmanager
def faulty_proxy(upstream_port: int) -> Iterator[FaultyProxy]:
    with FaultyProxy(upstream_port) as proxy:
        yield proxy
