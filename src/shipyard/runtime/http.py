"""One HTTP session for every action: timeouts, retries with backoff and jitter, Retry-After.

Retries happen on connection errors, 429 and 5xx; other 4xx answers are returned at once. The
session honours HTTPS_PROXY / NO_PROXY (requests' ``trust_env``). Written on requests rather
than urllib3's ``Retry`` so that each retry is logged with its reason and wait, and so that a
Retry-After longer than the caller allows is not slept through.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ExternalError

if TYPE_CHECKING:  # requests is imported lazily: a warm start that needs no HTTP skips it.
    import requests

DEFAULT_GITHUB_API_URL = "https://api.github.com"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "shipyard-actions (+https://github.com/your-org/actions)"


def github_api_url(env: Mapping[str, str]) -> str:
    """The REST API root: GITHUB_API_URL (GitHub Enterprise Server) or api.github.com."""
    return (env.get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL).rstrip("/")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


@dataclass
class RetryPolicy:
    """How many attempts, how long to wait between them, and the longest wait accepted."""

    attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    jitter: float = 0.25

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter for the given retry (1 = first retry)."""
        base = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return base * (1 + random.uniform(-self.jitter, self.jitter))  # noqa: S311


class HttpClient:
    """A requests session with the retry policy; ``request`` returns the final response."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        service: str = "HTTP",
    ) -> None:
        import requests

        self.session: requests.Session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.log = log or (lambda _message: None)
        self.sleep = sleep
        self.service = service

    def close(self) -> None:
        self.session.close()

    def request(
        self, method: str, url: str, *, describe: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send with retries and return the final response for the caller to judge (after
        the last attempt that may still be a 429/5xx, so the caller can explain it). Raises
        ExternalError when no attempt could connect, or when Retry-After asks for a longer
        wait than the policy accepts. ``describe`` names the call in messages instead of the
        URL (which may hold a secret)."""
        import requests

        what = describe or f"{method} {self.service}"
        kwargs.setdefault("timeout", self.timeout)
        last_problem = ""
        for attempt in range(1, self.retry.attempts + 1):
            wait: float | None = None
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"could not connect ({type(exc).__name__})"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                last_problem = f"answered HTTP {response.status_code}"
                wait = parse_retry_after(response.headers.get("Retry-After"))
                if wait is not None and wait > self.retry.max_retry_after:
                    raise ExternalError(
                        f"{what}: {last_problem} and asked to wait {wait:.0f}s, longer than "
                        f"{self.retry.max_retry_after:.0f}s.",
                        hint="Try again later.",
                    )
                if attempt == self.retry.attempts:
                    return response
            if attempt == self.retry.attempts:
                break
            delay = wait if wait is not None else self.retry.delay(attempt)
            self.log(
                f"{what}: {last_problem}; retrying in {delay:.1f}s "
                f"(attempt {attempt + 1} of {self.retry.attempts})"
            )
            self.sleep(delay)
        raise ExternalError(
            f"{what}: {last_problem} after {self.retry.attempts} attempts.",
            hint="Check that the service is reachable from the runner (proxy settings: "
            "HTTPS_PROXY / NO_PROXY), then run the job again.",
        )
