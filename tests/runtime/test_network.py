"""Issue 17 item 11: URLs and hosts are settings kinds (Url, HostName, HostPort), so a bad
address is exit 2 naming the input, never a traceback; the HTTP client maps what still slips
through (LocationParseError, InvalidURL, ValueError) to an input error. The kinds did not
exist on 3824f64, and the client let LocationParseError out (exit 1, "Internal error")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from shipyard.runtime import (
    ActionContext,
    ActionSpec,
    ConfigError,
    HostName,
    HostPort,
    HttpClient,
    InputError,
    RetryPolicy,
    Url,
    parse_settings,
    setting,
)
from shipyard.runtime.github import github_client
from shipyard.runtime.network import (
    AddressError,
    ascii_host,
    check_user_name,
    split_host_port,
    url_problem,
    user_name_problem,
)
from tests.action_run import run_in_process

LONG = "a" * 70
SECRET = "SECRETVALUE"


@dataclass(frozen=True)
class Settings:
    hook: Url = setting("A webhook.", secret=True)
    api: Url = setting("An API root.", default="https://api.example.com/v1")
    server: HostPort = setting("A server.")
    host: HostName | None = setting("A host.")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.slack.com/services/T/B/x", None),
        ("http://127.0.0.1:8080/h?token=x", None),
        ("http://[::1]:8080/h", None),
        ("http://user:pass@host.example:8080/h", None),
        ("https://b\u00fccher.example/h", None),
        ("http://my_service:80/", None),
        ("http://127.0.0.1:99999/h", "has an invalid host or port"),
        ("http://host:port/h", "has an invalid host or port"),
        ("http://[::1/h", "has an invalid host or port"),
        ("https:///h", "has no host name"),
        ("http://a b/h", "contains a space or a control character"),
        ("http://a/h\n", "contains a space or a control character"),
        ("mailto:x@example.com", "is not an http(s) URL"),
        ("http://host:0/h", "has port 0"),
        (f"http://{LONG}.example.com/h", "has a host name that has a label of 70 characters"),
        ("http://a..b/h", "has a host name that has an empty label"),
        ("http://-a.example/h", "has a host name that has a label that starts or ends"),
        ("http://%61.example/h", "has a host name that has a character other than"),
        ("http://999.1.1.1/h", "has a host name that is not a valid IPv4 address"),
        ("http://[fe80::zz]/h", "has an invalid host or port"),
        ("http://xn--a.example/h", None),  # passes the syntax; the resolver says the rest
        ("http://" + ".".join(["b" * 60] * 5) + ".example/h", "longer than 253"),
        ("http://\u00e9" + "x" * 70 + ".example/", "is not a valid internationalised"),
    ],
)
def test_url_problems_never_repeat_the_url(url: str, problem: str | None) -> None:
    found = url_problem(url)
    assert (found is None) if problem is None else problem in (found or ""), found


def test_hosts_come_out_in_ascii() -> None:
    assert ascii_host("B\u00fccher.example") == "xn--bcher-kva.example"
    assert ascii_host("[::1]") == "::1" and ascii_host("10.0.0.1") == "10.0.0.1"
    assert ascii_host("host.example.") == "host.example."
    assert split_host_port("[::1]:2525") == ("::1", 2525)
    assert split_host_port("::1") == ("::1", None)
    assert split_host_port("b\u00fccher.example:25") == ("xn--bcher-kva.example", 25)


def test_the_kinds_parse_and_normalise() -> None:
    s = parse_settings(
        Settings,
        {"hook": "https://h.example/x", "server": "b\u00fccher.example:2525", "host": "[::1]"},
    )
    assert s.hook == "https://h.example/x" and s.api == "https://api.example.com/v1"
    assert s.server == "xn--bcher-kva.example:2525" and s.host == "::1"
    assert parse_settings(Settings, {"server": "[::1]:25"}).server == "[::1]:25"
    assert parse_settings(Settings, {}).host is None


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"hook": f"http://{LONG}.example.com/h?token={SECRET}"}, "Input 'hook': has a host"),
        ({"api": f"https://{SECRET}:99999/"}, "Input 'api': has an invalid host or port"),
        ({"server": f"{LONG}.example.com"}, f"Input 'server': '{LONG}.example.com' has a label"),
        ({"server": "smtp.example.com:0"}, "Input 'server': '0' is not a port number"),
        ({"server": "smtp.example.com:x:y"}, "Input 'server': 'smtp.example.com:x:y' has a"),
        ({"server": "[::1"}, "Input 'server': '[::1' has an unclosed '['"),
        ({"server": "[::1]x"}, "Input 'server': '[::1]x' has text after ']'"),
        ({"host": "-oProxyCommand=x"}, "Input 'host': '-oProxyCommand=x' is not a host name"),
        ({"host": "a\nb"}, "Input 'host': 'a\nb' is not a host name: it contains a space"),
        ({"host": "a.b:22"}, "Input 'host': 'a.b:22' is not a host name: it has a ':' but"),
    ],
)
def test_bad_addresses_name_the_input(raw: dict[str, str], needle: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, raw)
    assert caught.value.message.startswith(needle), caught.value.message
    assert SECRET not in caught.value.message


def test_a_secret_host_is_never_quoted() -> None:
    @dataclass(frozen=True)
    class Secretive:
        server: HostPort = setting("A server.", secret=True)

    for value in (f"{SECRET}{LONG}.example", f"host:{SECRET}"):
        with pytest.raises(InputError) as caught:
            parse_settings(Secretive, {"server": value})
        assert SECRET not in caught.value.message, caught.value.message


def test_the_kinds_say_what_they_accept_in_the_docs() -> None:
    spec = ActionSpec(name="n", title="t", description="d", settings=Settings)
    assert spec.input("hook").secret and spec.input("hook").accepts() == "an http(s) URL"
    assert spec.input("server").accepts() == "host or host:port"
    assert spec.input("host").accepts() == "a host name or IP address"


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_proxy")
@pytest.mark.parametrize(
    "url",
    [
        f"http://{LONG}.example.com/h?token={SECRET}",  # LocationParseError, at connect time
        "http://a..b/h",
        f"http://\u00e9{SECRET}:99999/",  # InvalidURL
        "http://[::1/h",
    ],
)
def test_the_http_client_maps_bad_addresses_to_an_input_error(url: str) -> None:
    client = HttpClient(retry=RetryPolicy(attempts=1), service="Webhook")
    with pytest.raises(InputError) as caught:
        client.request("POST", url, source="webhook-url", json={})
    assert caught.value.message.startswith("Input 'webhook-url': POST Webhook: the address")
    assert SECRET not in caught.value.message and LONG not in caught.value.message
    with pytest.raises(ConfigError):  # no input to name: still exit 2
        client.request("GET", url)


@pytest.mark.usefixtures("no_proxy")
def test_an_action_with_a_bad_address_exits_2_without_a_traceback(tmp_path: Path) -> None:
    spec = ActionSpec(name="n", title="t", description="d", settings=Settings)

    def run(ctx: ActionContext[Settings]) -> None:
        raise AssertionError("never reached: the settings are refused first")

    result = run_in_process(spec, run, tmp_path, {"hook": f"http://{LONG}.x/?t={SECRET}"}, {})
    assert result.code == 2, result.log
    assert "Input 'hook'" in result.log and SECRET not in result.visible
    assert "Traceback" not in result.visible and "Internal error" not in result.visible


def test_a_bad_github_api_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="GITHUB_API_URL has a host name that has a label"):
        github_client("t", api_url=f"https://{LONG}.example.com/api/v3")


@pytest.mark.parametrize(
    "host",
    [
        "de\u200bploy.example",  # a zero-width space: UTS 46 would drop it
        "bad\u00adlabel.example",  # a soft hyphen, likewise
        "\uff45xample.com",  # a full-width letter: UTS 46 would change it
        "xn--zz.example",  # an A-label that does not decode
        "host.example.",
        "host.123",
        "[::1%eth0]",
    ],
)
def test_strict_host_names_are_exactly_what_a_config_file_gets(host: str) -> None:
    """The deploy action writes host names into ssh_config: only a name already in its exact
    IDNA form passes, with no final dot, no all-digit last label and no IPv6 zone."""
    with pytest.raises(AddressError):
        ascii_host(host, strict=True)
    ascii_host(host)  # the lenient check (URLs, SMTP servers) keeps accepting it


def test_strict_host_names_keep_idna_ip_literals_and_underscores() -> None:
    assert ascii_host("B\u00fccher.example", strict=True) == "xn--bcher-kva.example"
    assert ascii_host("a_b.internal", strict=True) == "a_b.internal"
    assert ascii_host("xn--bcher-kva.example", strict=True) == "xn--bcher-kva.example"
    assert split_host_port("[2001:db8::1]:22", strict=True) == ("2001:db8::1", 22)
    assert split_host_port("10.0.0.2:65535", strict=True) == ("10.0.0.2", 65535)


@pytest.mark.parametrize("user", ["deploy", "_svc", "deploy.bot-1_x", "a" * 32])
def test_posix_user_names(user: str) -> None:
    assert user_name_problem(user) is None
    assert check_user_name("user", user) == user


@pytest.mark.parametrize("user", ["", "-v", "1abc", "a" * 33, "de ploy", "de\nploy", "de%dploy"])
def test_what_is_not_a_posix_user_name(user: str) -> None:
    assert user_name_problem(user)
    with pytest.raises(InputError) as caught:
        check_user_name("user", user)
    assert caught.value.input_name == "user"
