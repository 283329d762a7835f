"""One HTTP session for every action: timeouts, retries (runtime/retry.py), Retry-After.

Retries happen on connection errors, 429 and 5xx; other 4xx answers are returned at once. The
session honours HTTPS_PROXY / NO_PROXY (requests' ``trust_env``). Written on requests rather
than urllib3's ``Retry`` so that each retry is logged with its reason and wait, and so that a
Retry-After longer than the caller allows is not slept through.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, ExternalError, InputError, ShipyardError
from .retry import SYSTEM_CLOCK, Clock, Retryable, RetryPolicy, retry_call

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
    import email.utils  # only for the rare HTTP-date form

    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class _RetryStatus(Retryable):
    """A 429/5xx answer that may be retried; carries the response for the last attempt."""

    def __init__(self, reason: str, response: requests.Response, after: float | None) -> None:
        super().__init__(reason, after=after)
        self.response = response


class _SleepClock:
    """A clock whose sleeps go to a caller's function (the old ``sleep=`` parameter)."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self._sleep(seconds)


def bad_address(what: str, exc: BaseException, source: str | None = None) -> ShipyardError:
    """The error for a URL that cannot be used: names the input it came from, never the URL
    (nor the exception's text, which quotes it)."""
    problem = f"the address is not a valid URL ({type(exc).__name__})"
    hint = "Check the URL's scheme, host name (labels of at most 63 characters) and port."
    if source:
        return InputError(source, f"{what}: {problem}.", hint=hint)
    return ConfigError(f"{what}: {problem}.", hint=hint)


class HttpClient:
    """A requests session with the retry policy; ``request`` returns the final response."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] | None = None,
        service: str = "HTTP",
        clock: Clock | None = None,
    ) -> None:
        import requests

        self.session: requests.Session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.log = log or (lambda _message: None)
        self.clock: Clock = clock or (_SleepClock(sleep) if sleep else SYSTEM_CLOCK)
        self.service = service

    def close(self) -> None:
        """Close the session's connections (the cleanup stack calls it)."""
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        describe: str | None = None,
        source: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send with retries and return the final response for the caller to judge (after
        the last attempt that may still be a 429/5xx, so the caller can explain it). Raises
        ExternalError when no attempt could connect, or when Retry-After asks for a longer
        wait than the policy accepts. A URL that cannot be used (a malformed URL, a host label
        over 63 characters, a bad port: requests' InvalidURL, urllib3's LocationParseError, any
        ValueError while preparing it) is an InputError naming ``source`` (the input the URL
        came from), else a ConfigError (both exit 2). ``describe`` names the call in messages
        instead of the URL (which may hold a secret); the URL is never shown."""
        import requests

        what = describe or f"{method} {self.service}"
        kwargs.setdefault("timeout", self.timeout)
        attempts = {"n": 0}

        def once() -> requests.Response:
            attempts["n"] += 1
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise Retryable(f"could not connect ({type(exc).__name__})") from None
            except requests.exceptions.InvalidHeader:
                raise ConfigError(
                    f"{what}: a request header is not valid (a value with a line break?).",
                    hint="Check the token or the header values given to the action.",
                ) from None
            except (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
                requests.exceptions.URLRequired,
                ValueError,  # urllib3's LocationParseError, the idna codec's UnicodeError
            ) as exc:
                raise bad_address(what, exc, source) from None
            if response.status_code not in RETRY_STATUSES:
                return response
            problem = f"answered HTTP {response.status_code}"
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self.retry.max_retry_after:
                raise ExternalError(
                    f"{what}: {problem} and asked to wait {wait:.0f}s, longer than "
                    f"{self.retry.max_retry_after:.0f}s.",
                    hint="Try again later.",
                )
            raise _RetryStatus(problem, response, wait)

        try:
            return retry_call(once, policy=self.retry, clock=self.clock, log=self.log, what=what)
        except _RetryStatus as last:
            return last.response
        except Retryable as last:
            raise ExternalError(
                f"{what}: {last.reason} after {attempts['n']} attempts.",
                hint="Check that the service is reachable from the runner (proxy settings: "
                "HTTPS_PROXY / NO_PROXY), then run the job again.",
            ) from None


__all__ = [
    "DEFAULT_GITHUB_API_URL",
    "RETRY_STATUSES",
    "USER_AGENT",
    "HttpClient",
    "RetryPolicy",
    "github_api_url",
    "parse_retry_after",
]
