"""One GitHub client for every action: PyGithub without its own retries, and one retry loop.

:func:`github_client` builds a ``github.Github`` for a token and an API root (GITHUB_API_URL,
so GitHub Enterprise Server works), with ``retry=None`` and no client-side throttle, so that
:func:`call_github` alone decides, with the runtime's :class:`RetryPolicy` and :class:`Clock`:

* primary rate limit (403/429 with ``X-RateLimit-Remaining: 0``): wait until
  ``X-RateLimit-Reset``;
* secondary rate limit (403/429 with ``Retry-After`` or GitHub's message): wait as asked (a
  minute, doubling, when it does not say);
* 5xx answers, dropped connections, timeouts: back off and retry up to ``policy.attempts``;
* any wait that would pass the deadline: :class:`ExternalError` at once (exit 3).

:class:`ConditionalGets` polls with ETags (a 304 spends no rate limit).

Other 4xx answers are re-raised as PyGithub's ``GithubException`` for the caller to explain.
PyGithub is imported only when a client is made (it is in the extras of the actions that use it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ConfigError, ExternalError
from .http import USER_AGENT, bad_address, parse_retry_after
from .retry import SYSTEM_CLOCK, Clock, RetryPolicy

if TYPE_CHECKING:
    import github

T = TypeVar("T")
#: GitHub's page size maximum: fewer requests for long lists.
PER_PAGE = 100
#: How long to wait on a secondary rate limit that gives no Retry-After (GitHub: "at least a
#: minute"); it doubles on each repeat.
SECONDARY_DEFAULT_WAIT = 60.0
DEFAULT_POLICY = RetryPolicy(attempts=5, base_delay=1.0, max_delay=30.0, jitter=0.2)


def github_client(
    token: str,
    *,
    api_url: str,
    clock: Clock = SYSTEM_CLOCK,
    policy: RetryPolicy = DEFAULT_POLICY,
    log: Callable[[str], None] | None = None,
    timeout: float = 30.0,
) -> github.Github:
    """A PyGithub client for ``api_url`` (``https://api.github.com`` or GHES's ``/api/v3``).
    Its calls should go through :func:`call_github`; ``clock``, ``policy`` and ``log`` are
    accepted here so callers can keep them together (the client itself never retries)."""
    del clock, policy, log
    from github import Auth, Github

    from .network import url_problem

    problem = url_problem(api_url)
    if problem:  # GITHUB_API_URL (set by the runner, or by the workflow's env)
        raise ConfigError(
            f"GITHUB_API_URL {problem}.",
            hint="On GitHub Enterprise Server it is https://HOST/api/v3; leave it to the runner.",
        )

    return Github(
        base_url=api_url.rstrip("/"),
        auth=Auth.Token(token),
        timeout=max(1, int(timeout)),
        user_agent=USER_AGENT,
        per_page=PER_PAGE,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        lazy=True,
    )


def github_request(
    client: github.Github,
    verb: str,
    path: str,
    *,
    parameters: Mapping[str, Any] | None = None,
    body: Any = None,
    etag: str | None = None,
) -> tuple[int, dict[str, Any], Any]:
    """A raw REST call through the client's requester: ``(status, headers, json)``. A 4xx/5xx
    answer raises PyGithub's exception (for :func:`call_github` to judge); a 304 is returned."""
    import json

    requester = client.requester
    headers = {"If-None-Match": etag} if etag else {}
    status, response_headers, text = requester.requestJson(
        verb, path, dict(parameters or {}), headers, body
    )
    data: Any = None
    if text:
        try:
            data = json.loads(text)
        except ValueError:
            data = {"message": text[:200]}
    if status >= 400:
        raise requester.createException(
            status, response_headers, data if isinstance(data, dict) else {}
        )
    return status, dict(response_headers), data


class ConditionalGets:
    """GETs with If-None-Match from the last answer: a 304 costs no rate limit and gives back
    the data remembered from the last 200 (for polling)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, Any]] = {}
        self.not_modified = 0

    def get(
        self, client: github.Github, path: str, parameters: Mapping[str, Any] | None = None
    ) -> tuple[bool, Any]:
        """``(changed, data)`` for ``GET path``."""
        import urllib.parse

        key = path + "?" + urllib.parse.urlencode(sorted((parameters or {}).items()))
        cached = self._cache.get(key)
        status, headers, data = github_request(
            client, "GET", path, parameters=parameters, etag=cached[0] if cached else None
        )
        if status == 304 and cached is not None:
            self.not_modified += 1
            return False, cached[1]
        if status != 200:
            raise ExternalError(f"GitHub answered HTTP {status} to GET {path}.")
        etag = str(headers.get("etag") or headers.get("ETag") or "")
        if etag:
            self._cache[key] = (etag, data)
        return True, data


def _headers(exc: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (getattr(exc, "headers", None) or {}).items()}


def _message(exc: Any) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return str(data["message"])
    return str(getattr(exc, "message", "") or "")


def _clock_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M:%S UTC")


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


class _Loop:
    """The state of one call_github loop."""

    def __init__(
        self,
        what: str,
        clock: Clock,
        policy: RetryPolicy,
        log: Callable[[str], None],
        deadline: float | None,
        epoch: Callable[[], float],
    ) -> None:
        self.what = what
        self.clock = clock
        self.policy = policy
        self.log = log
        self.epoch = epoch
        start = clock.now()
        limits = [d for d in (deadline, _relative(policy.deadline, start)) if d is not None]
        self.deadline = min(limits) if limits else None
        self.failures = 0
        self.secondary = 0

    def wait(self, seconds: float, reason: str) -> None:
        seconds = max(0.0, seconds)
        now = self.clock.now()
        if self.deadline is not None and now + seconds > self.deadline:
            left = max(0.0, self.deadline - now)
            raise ExternalError(
                f"{reason}; that is past the time left ({_seconds(left)}).",
                title="GitHub rate limit",
                hint="Run the job again later, or give it more time.",
            )
        self.log(f"{reason}; waiting {_seconds(seconds)}.")
        self.clock.sleep(seconds)

    def primary(self, headers: Mapping[str, str]) -> None:
        try:
            reset = float(headers.get("x-ratelimit-reset") or 0)
        except ValueError:
            reset = 0.0
        if reset <= 0:  # no reset time given: try again in a minute
            reset = self.epoch() + SECONDARY_DEFAULT_WAIT
        used = headers.get("x-ratelimit-used") or headers.get("x-ratelimit-limit") or "all"
        self.wait(
            max(1.0, reset - self.epoch() + 1.0),
            f"GitHub's API rate limit is used up ({used} requests) while trying to "
            f"{self.what}; it resets at {_clock_text(reset)}",
        )

    def secondary_limit(self, status: int, headers: Mapping[str, str]) -> None:
        self.secondary += 1
        if self.secondary > self.policy.attempts:
            raise ExternalError(
                f"GitHub kept answering with its secondary rate limit while trying to "
                f"{self.what} ({self.secondary} times).",
                hint="Run the job again later.",
            )
        asked = parse_retry_after(headers.get("retry-after"))
        wait = asked if asked is not None else SECONDARY_DEFAULT_WAIT * 2 ** (self.secondary - 1)
        said = "as its Retry-After header asks" if asked is not None else "a minute or more"
        self.wait(
            wait,
            f"GitHub's secondary rate limit stopped a request to {self.what} "
            f"(HTTP {status}); waiting {said}",
        )

    def failure(self, problem: str) -> None:
        self.failures += 1
        if self.failures >= self.policy.attempts:
            raise ExternalError(
                f"Could not {self.what}: {problem} after {self.failures} attempts.",
                hint="Check that GitHub (GITHUB_API_URL) is reachable from the runner, "
                "then run the job again.",
            )
        self.wait(
            self.policy.delay(self.failures),
            f"{problem} while trying to {self.what}; retrying (attempt {self.failures + 1} of "
            f"{self.policy.attempts})",
        )


def _relative(seconds: float | None, start: float) -> float | None:
    return None if seconds is None else start + seconds


def is_primary_rate_limit(status: int, headers: Mapping[str, str]) -> bool:
    """Whether a 403/429 is the primary rate limit: no request left in the hour's quota."""
    return status in (403, 429) and headers.get("x-ratelimit-remaining") == "0"


def is_secondary_rate_limit(status: int, headers: Mapping[str, str], message: str) -> bool:
    """Whether a 403/429 is a secondary (abuse) rate limit: a Retry-After, or GitHub's message
    saying so."""
    return status in (403, 429) and (
        "retry-after" in headers or "secondary rate limit" in message.lower()
    )


def call_github(
    fn: Callable[[], T],
    *,
    clock: Clock = SYSTEM_CLOCK,
    policy: RetryPolicy = DEFAULT_POLICY,
    log: Callable[[str], None] | None = None,
    deadline: float | None = None,
    what: str = "call GitHub",
    epoch: Callable[[], float] = time.time,
) -> T:
    """Call ``fn`` (PyGithub or raw requests to GitHub) with GitHub's retry rules (see the
    module docstring). ``deadline`` is a ``clock.now()`` value no wait may pass (and
    ``policy.deadline`` seconds from now, when set); ``epoch`` is wall time, for
    X-RateLimit-Reset."""
    import requests
    from github import GithubException
    from urllib3.exceptions import LocationValueError

    loop = _Loop(what, clock, policy, log or (lambda _message: None), deadline, epoch)
    while True:
        try:
            return fn()
        except GithubException as exc:
            headers = _headers(exc)
            if is_primary_rate_limit(exc.status, headers):
                loop.primary(headers)
                continue
            if is_secondary_rate_limit(exc.status, headers, _message(exc)):
                loop.secondary_limit(exc.status, headers)
                continue
            if exc.status < 500:
                raise
            problem = f"GitHub answered HTTP {exc.status}"
        except (requests.ConnectionError, requests.Timeout) as exc:
            problem = f"could not reach GitHub ({type(exc).__name__})"
        except (requests.exceptions.InvalidURL, LocationValueError) as exc:
            raise bad_address(f"{what} (GITHUB_API_URL)", exc) from None
        loop.failure(problem)


__all__ = [
    "DEFAULT_POLICY",
    "PER_PAGE",
    "SECONDARY_DEFAULT_WAIT",
    "ConditionalGets",
    "call_github",
    "github_client",
    "github_request",
    "is_primary_rate_limit",
    "is_secondary_rate_limit",
]
