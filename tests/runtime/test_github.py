"""The shared GitHub client and retry loop, against the GitHub emulator (real HTTP)."""

from __future__ import annotations

import pytest
from github import GithubException

from shipyard.runtime import ExternalError, FakeClock, RetryPolicy
from shipyard.runtime.github import call_github, github_client
from tests.services.github_emulator import GitHubEmulator

TOKEN = "ghp_runtime_test"
POLICY = RetryPolicy(attempts=3, jitter=0)


@pytest.fixture
def emu(github_emulator: GitHubEmulator) -> GitHubEmulator:
    github_emulator.add_user("robot", token=TOKEN)
    github_emulator.add_repo("acme/app", default_branch="trunk")
    return github_emulator


def repo_branch(emu: GitHubEmulator, api_url: str | None = None) -> str:
    client = github_client(TOKEN, api_url=api_url or emu.url)
    return client.get_repo("acme/app").default_branch


def test_client_works_against_ghes_style_url(emu: GitHubEmulator) -> None:
    assert repo_branch(emu, emu.api_v3_url) == "trunk"
    assert emu.requests[-1].path.startswith("/api/v3/")


def test_5xx_and_dropped_connections_are_retried(emu: GitHubEmulator) -> None:
    clock = FakeClock()
    log: list[str] = []
    emu.fail_next(1, 502)
    emu.drop_next(1)
    branch = call_github(
        lambda: repo_branch(emu), clock=clock, policy=POLICY, log=log.append, what="read repo"
    )
    assert branch == "trunk"
    assert clock.sleeps == [1.0, 2.0]
    assert "GitHub answered HTTP 502 while trying to read repo" in log[0]


def test_5xx_exhausted_is_an_external_error(emu: GitHubEmulator) -> None:
    emu.fail_next(5, 503)
    with pytest.raises(ExternalError, match="after 3 attempts"):
        call_github(lambda: repo_branch(emu), clock=FakeClock(), policy=POLICY)


def test_secondary_rate_limit_waits_as_asked(emu: GitHubEmulator) -> None:
    clock = FakeClock()
    emu.secondary_rate_limit(1, retry_after=7, status=429)
    assert call_github(lambda: repo_branch(emu), clock=clock, policy=POLICY) == "trunk"
    assert clock.sleeps == [7.0]


def test_primary_rate_limit_waits_for_the_reset(emu: GitHubEmulator) -> None:
    """Real clock: the emulator refills its bucket at the reset time (about 1 s from now)."""
    emu.set_rate_limit(remaining=0, reset_in=1)
    log: list[str] = []
    assert call_github(lambda: repo_branch(emu), policy=POLICY, log=log.append) == "trunk"
    assert "rate limit is used up" in log[0]


def test_a_wait_past_the_deadline_is_an_external_error(emu: GitHubEmulator) -> None:
    clock = FakeClock()
    emu.set_rate_limit(remaining=0, reset_in=3600)
    with pytest.raises(ExternalError, match="past the time left"):
        call_github(lambda: repo_branch(emu), clock=clock, policy=POLICY, deadline=60)
    assert clock.sleeps == []


def test_other_4xx_is_the_callers_to_explain(emu: GitHubEmulator) -> None:
    with pytest.raises(GithubException) as info:
        call_github(
            lambda: github_client("wrong", api_url=emu.url).get_repo("acme/app").default_branch,
            clock=FakeClock(),
            policy=POLICY,
        )
    assert info.value.status == 401


def test_conditional_gets_spend_no_rate_limit_when_unchanged(emu: GitHubEmulator) -> None:
    from shipyard.runtime.github import ConditionalGets

    client = github_client(TOKEN, api_url=emu.url)
    number = emu.create_issue("acme/app", "t", user="robot")["number"]
    gets = ConditionalGets()
    path = f"/repos/acme/app/issues/{number}/comments"
    changed, first = gets.get(client, path)
    assert changed and first == []
    spent = emu.units_spent
    changed, again = gets.get(client, path)
    assert not changed and again == []
    assert emu.units_spent == spent and gets.not_modified == 1
    emu.comment("acme/app", number, "robot", "hello")
    changed, data = gets.get(client, path)
    assert changed and [c["body"] for c in data] == ["hello"]
