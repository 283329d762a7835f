"""The shared HTTP client against a real server on loopback: retries, backoff, Retry-After."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from shipyard.runtime import ExternalError, HttpClient, RetryPolicy, parse_retry_after
from shipyard.runtime.http import github_api_url
from tests.services.scripted_http import ScriptedHttpServer


@pytest.fixture
def server() -> Iterator[ScriptedHttpServer]:
    srv = ScriptedHttpServer().start()
    yield srv
    srv.stop()


def client(log: list[str], sleeps: list[float], attempts: int = 4) -> HttpClient:
    return HttpClient(
        timeout=5, retry=RetryPolicy(attempts=attempts), log=log.append, sleep=sleeps.append
    )


def test_429_with_retry_after_then_success(server: ScriptedHttpServer) -> None:
    server.answer(429, "slow down", Retry_After="3")
    server.answer(200, "ok")
    log: list[str] = []
    sleeps: list[float] = []
    response = client(log, sleeps).request("POST", server.url + "/x", json={"a": 1})
    assert response.status_code == 200
    assert sleeps == [3.0]
    assert len(server.requests) == 2
    assert "answered HTTP 429; retrying in 3.0s (attempt 2 of 4)" in log[0]


def test_5xx_backoff_grows_with_jitter(server: ScriptedHttpServer) -> None:
    for _ in range(3):
        server.answer(503)
    log: list[str] = []
    sleeps: list[float] = []
    assert client(log, sleeps).request("GET", server.url).status_code == 200
    assert len(sleeps) == 3
    for expected, actual in zip([1, 2, 4], sleeps, strict=True):
        assert expected * 0.75 <= actual <= expected * 1.25


def test_5xx_exhausted_returns_last_answer(server: ScriptedHttpServer) -> None:
    server.default.status = 502
    response = client([], [], attempts=3).request("GET", server.url)
    assert response.status_code == 502
    assert len(server.requests) == 3


def test_4xx_is_not_retried(server: ScriptedHttpServer) -> None:
    server.answer(404, "nope")
    response = client([], []).request("GET", server.url)
    assert response.status_code == 404
    assert len(server.requests) == 1


def test_dropped_connection_is_retried(server: ScriptedHttpServer) -> None:
    server.drop()
    sleeps: list[float] = []
    assert client([], sleeps).request("GET", server.url).status_code == 200
    assert len(sleeps) == 1


def test_connection_refused_exhausted_is_an_external_error_without_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ExternalError) as info:
        client([], [], attempts=2).request(
            "POST", f"http://127.0.0.1:{port}/secret-token", describe="Slack webhook"
        )
    assert info.value.exit_code == 3
    assert "Slack webhook: could not connect" in info.value.message
    assert "secret-token" not in info.value.message


def test_retry_after_too_long_is_not_slept(server: ScriptedHttpServer) -> None:
    server.answer(429, Retry_After="3600")
    with pytest.raises(ExternalError, match="asked to wait 3600s"):
        client([], []).request("GET", server.url)


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("5") == 5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("Thu, 01 Jan 2099 00:00:10 GMT", now=4070908800.0) == pytest.approx(10)


def test_https_proxy_is_honoured(
    server: ScriptedHttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain-HTTP request through HTTP_PROXY reaches the proxy with the absolute URL."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client([], []).request("GET", "http://api.example.invalid/v1/ping")
    assert server.requests[0].path == "http://api.example.invalid/v1/ping"
    monkeypatch.setenv("NO_PROXY", "api.example.invalid")
    with pytest.raises(ExternalError):
        client([], [], attempts=1).request("GET", "http://api.example.invalid/v1/ping")


def test_github_api_url_for_enterprise_server() -> None:
    assert github_api_url({}) == "https://api.github.com"
    assert (
        github_api_url({"GITHUB_API_URL": "https://ghe.corp/api/v3/"}) == "https://ghe.corp/api/v3"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999/h?token=SECRETX",
        "127.0.0.1/h?token=SECRETX",
        "ftp://h/?token=SECRETX",
    ],
)
def test_a_malformed_url_is_a_config_error_without_the_url(url: str) -> None:
    """Hardening #8 item 7 (runtime side): no uncaught InvalidURL, no URL in the message."""
    from shipyard.runtime import ConfigError

    with pytest.raises(ConfigError) as info:
        client([], []).request("POST", url, describe="webhook")
    assert info.value.exit_code == 2
    assert "SECRETX" not in info.value.message
    assert info.value.message.startswith("webhook: the address is not a valid URL")
