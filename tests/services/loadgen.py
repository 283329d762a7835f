"""A small HTTP load generator for the deploy tests: threads sending GETs, counting failures.

Bounded in requests and in time, and only towards loopback or the test bed's namespace
addresses (10.200.0.0/16). Each request opens its own connection (``Connection: close``), so a
failure is a failure of the proxy or the app, never a stale keep-alive connection. ``paths``
gives the threads different paths in turn (a fast ``/`` and the sample app's slow
``/cgi-bin/slow``: requests in flight through a switch); every answer is counted per path.
"""

from __future__ import annotations

import http.client
import ipaddress
import ssl
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ALLOWED = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("10.200.0.0/16"))


@dataclass
class LoadResult:
    """What the generator saw, in the order answers arrived."""

    total: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    answers: list[str] = field(default_factory=list)  # bodies of the good answers, in order
    seconds: float = 0.0
    sent: Counter[str] = field(default_factory=Counter)  # path: requests answered or failed
    failed_by_path: Counter[str] = field(default_factory=Counter)
    answered: Counter[tuple[str, str]] = field(default_factory=Counter)  # (path, body): count

    @property
    def per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    def versions(self) -> list[str]:
        """The distinct answers in the order they first appeared."""
        return list(dict.fromkeys(self.answers))


class LoadGenerator:
    """``with LoadGenerator(url) as load: ...``; ``load.result`` after the block."""

    def __init__(
        self,
        url: str,
        *,
        threads: int = 4,
        max_requests: int = 50_000,
        max_seconds: float = 120,
        paths: Sequence[str] = (),
        context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not any(ipaddress.ip_address(host) in net for net in ALLOWED):
            raise ValueError(f"load generator only targets test bed addresses, not {host}")
        self.https = parts.scheme == "https"
        self.context = context  # https: the client context (its trust roots)
        default = 443 if self.https else 80
        self.host, self.port, self.path = host, parts.port or default, parts.path or "/"
        self.paths = list(paths) or [self.path]
        self.threads, self.max_requests, self.max_seconds = threads, max_requests, max_seconds
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._started = 0.0

    def _one(self, path: str | None = None) -> tuple[bool, str]:
        conn = (
            http.client.HTTPSConnection(self.host, self.port, timeout=10, context=self.context)
            if self.https
            else http.client.HTTPConnection(self.host, self.port, timeout=10)
        )
        try:
            conn.request("GET", path or self.path, headers={"Connection": "close"})
            response = conn.getresponse()
            body = response.read().decode(errors="replace").strip()
            if response.status != 200:
                return False, f"HTTP {response.status}"
            return True, body
        except (OSError, http.client.HTTPException) as exc:
            return False, type(exc).__name__
        finally:
            conn.close()

    def _work(self, path: str) -> None:
        deadline = self._started + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            with self._lock:
                if self.result.total >= self.max_requests:
                    return
                self.result.total += 1
            ok, text = self._one(path)
            with self._lock:
                self.result.sent[path] += 1
                if ok:
                    self.result.answers.append(text)
                    self.result.answered[(path, text)] += 1
                else:
                    self.result.failed += 1
                    self.result.errors[f"{text} ({path})" if len(self.paths) > 1 else text] += 1
                    self.result.failed_by_path[path] += 1

    def start(self) -> LoadGenerator:
        self._started = time.monotonic()
        for number in range(self.threads):
            path = self.paths[number % len(self.paths)]
            worker = threading.Thread(target=self._work, args=(path,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def count(self) -> int:
        with self._lock:
            return self.result.total

    def seen(self, path: str, answer: str) -> bool:
        """Whether ``path`` was answered with ``answer`` yet."""
        with self._lock:
            return self.result.answered[(path, answer)] > 0

    def wait_for(self, requests: int, timeout: float = 120) -> bool:
        """Wait until at least ``requests`` were sent (or the generator stopped)."""
        deadline = time.monotonic() + timeout
        while self.count() < requests and time.monotonic() < deadline:
            if not any(w.is_alive() for w in self._workers):
                return False
            time.sleep(0.05)
        return self.count() >= requests

    def stop(self) -> LoadResult:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)
        self.result.seconds = time.monotonic() - self._started
        return self.result

    def __enter__(self) -> LoadGenerator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def fetch(url: str, context: ssl.SSLContext | None = None) -> str | None:
    """One GET through the same checks; the body, or None on any failure."""
    ok, text = LoadGenerator(url, context=context)._one()
    return text if ok else None
