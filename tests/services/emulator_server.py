"""The server side shared by the HTTP emulators (Slack, GitHub): a threaded werkzeug server
in a daemon thread or the foreground, request recording, a queue of faults (an HTTP
status with Retry-After, or a dropped connection: TCP reset or close without an answer), and
what their API modules share (``Route``, ``json_response``)."""

from __future__ import annotations

import fnmatch
import json
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl, urlsplit

from flask import Response
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

DropMode = Literal["reset", "close"]

Route = Callable[..., None]
"""``route(rule, view, methods=("GET",))``: how an API module adds a URL rule to the app."""


def json_response(data: Any, status: int = 200) -> Response:
    """``data`` as compact JSON, with the content type GitHub and Slack answer with."""
    return Response(
        json.dumps(data, separators=(",", ":")),
        status,
        content_type="application/json; charset=utf-8",
    )


@dataclass
class RecordedRequest:
    """One request as the emulator received it (headers unredacted) and the status it got."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    time: float
    status: int | None = None
    fault: str | None = None

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None if it is not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded``."""
        return dict(parse_qsl(self.text, keep_blank_values=True))

    @property
    def params(self) -> dict[str, Any]:
        """The arguments as Slack sees them: query, then form or JSON body."""
        merged: dict[str, Any] = dict(self.query)
        body = self.json
        if isinstance(body, dict):
            merged.update(body)
        elif "json" not in (self.header("Content-Type") or ""):
            merged.update(self.form)
        return merged

    @property
    def token(self) -> str | None:
        """The bearer token from the Authorization header, else a ``token`` argument."""
        auth = self.header("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        token = self.params.get("token")
        return token if isinstance(token, str) else None

    def to_dict(self) -> dict[str, Any]:
        """The request as ``/_emulator/requests`` lists it."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.text,
            "json": self.json,
            "time": self.time,
            "status": self.status,
            "fault": self.fault,
        }


@dataclass
class Fault:
    """A queued fault: answer the next ``remaining`` matching requests badly.

    ``kind`` is ``status`` (answer ``status``, with ``Retry-After`` if set), ``reset`` (abort
    the connection with a TCP RST) or ``close`` (close it without answering); an emulator may
    define more answer kinds (the GitHub one has ``secondary``).
    """

    remaining: int
    kind: str = "status"
    status: int = 500
    retry_after: int | None = None
    path: str | None = None
    method: str | None = None
    body: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault, not yet used up, applies to ``method`` and ``path``."""
        if self.remaining <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path == path or fnmatch.fnmatchcase(path, self.path)

    def to_dict(self) -> dict[str, Any]:
        """The fault as ``/_emulator/faults`` lists it."""
        return {
            "remaining": self.remaining,
            "kind": self.kind,
            "status": self.status,
            "retry_after": self.retry_after,
            "path": self.path,
            "method": self.method,
        }


_Request = TypeVar("_Request", bound=RecordedRequest)
_Server = TypeVar("_Server", bound="EmulatorServer[Any]")


class FaultQueue:
    """Faults in the order they were queued; the first matching one answers a request."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue ``fault`` after those already queued."""
        self._faults.append(fault)

    def clear(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    def take(self, method: str, path: str, *, connection: bool) -> Fault | None:
        """Consume the first fault matching the request if it is of the asked family."""
        for fault in self._faults:
            if fault.matches(method, path):
                if (fault.kind in ("reset", "close")) != connection:
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """The faults still queued, as dicts."""
        return [f.to_dict() for f in self._faults]


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug handler that can drop a connection before the app sees the request."""

    def run_wsgi(self) -> None:
        """Drop the connection if a queued connection fault matches, else serve the request."""
        owner: EmulatorServer[Any] = self.server.emulator  # type: ignore[attr-defined]
        fault = owner._take_connection_fault(self.command, self.path, dict(self.headers.items()))
        if fault is None:
            super().run_wsgi()
            return
        self.close_connection = True
        if fault.kind == "reset":
            # SO_LINGER 0 + close() makes the kernel send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
        else:
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay quiet: the emulator records requests itself."""


class EmulatorServer(Generic[_Request]):
    """Runs a WSGI app on a threaded werkzeug server, in a daemon thread or the foreground;
    keeps the requests it received (of the emulator's ``RecordedRequest`` type) and its
    queued faults."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._lock = threading.RLock()
        self._faults = FaultQueue()
        self._requests: list[_Request] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[_Request]:
        """Every request received (control endpoints excepted), oldest first."""
        with self._lock:
            return list(self._requests)

    def drop_next(
        self,
        n: int = 1,
        *,
        mode: DropMode = "reset",
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Drop the connection (RST, or close without answer) of the next ``n`` matches."""
        with self._lock:
            self._faults.add(Fault(n, mode, 0, None, self._path_pattern(path), method))

    def _path_pattern(self, path: str | None) -> str | None:
        """A path or glob a test gives (for a fault, or to find requests), as matched."""
        return path

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise NotImplementedError

    def _locked_wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self._lock:
            return self._wsgi(environ, start_response)

    def _take_connection_fault(
        self, method: str, target: str, headers: dict[str, str]
    ) -> Fault | None:
        """Consume a queued connection fault for this request line, recording the request."""
        parts = urlsplit(target)
        if parts.path.startswith("/_emulator/"):
            return None
        with self._lock:
            fault = self._faults.take(method, self._fault_path(parts.path), connection=True)
            if fault is not None:
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                self._record_dropped(method, parts.path, query, headers, fault)
            return fault

    def _fault_path(self, path: str) -> str:
        """The path fault patterns are matched against."""
        return path

    def _record_dropped(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], fault: Fault
    ) -> None:
        raise NotImplementedError

    def _make_server(self) -> BaseWSGIServer:
        server = make_server(
            self.host, self.port, self._locked_wsgi, threaded=True, request_handler=_RequestHandler
        )
        server.emulator = self  # type: ignore[attr-defined]
        self.port = server.port
        return server

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123`` (valid once started)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://{self.host}:{self.port}"

    def start(self: _Server) -> _Server:
        """Serve in a daemon thread; returns self."""
        if self._server is None:
            self._server = self._make_server()
            self._thread = threading.Thread(
                target=self._server.serve_forever, name=type(self).__name__, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    def __enter__(self: _Server) -> _Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
