"""notify's settings, parsed without any service: kinds, defaults and every cross-input check
(``parse_settings`` is pure: no environment, no files, no network)."""

from __future__ import annotations

import pytest

from shipyard.notify.spec import Settings
from shipyard.runtime import ConfigError, InputError, parse_settings

HOOK = {"slack-webhook": "https://hooks.slack.com/services/T/B/x"}
API = {"slack-token": "xoxb-1", "slack-channel": "#deploys"}
EMAIL = {
    "smtp-server": "smtp.example.com",
    "email-from": "Deploy Bot <deploy@example.com>",
    "email-to": "ops@example.com, Dev <dev@example.com>",
}


def test_kinds_and_defaults() -> None:
    settings = parse_settings(Settings, {**HOOK, "retries": "2", "timeout": "1m30s"})
    assert settings.retries == 2 and settings.attempts == 3
    assert settings.timeout == 90.0
    assert settings.fail_on_error is False
    assert settings.smtp_security == "auto"
    assert settings.slack_api_url == "https://slack.com/api"
    assert settings.links == [] and settings.template_env == []


def test_email_settings_and_the_smtp_endpoint() -> None:
    settings = parse_settings(Settings, {**EMAIL, "email-cc": "a@example.com\nb@example.com"})
    assert settings.email_to == ["ops@example.com", "Dev <dev@example.com>"]
    assert settings.email_cc == ["a@example.com", "b@example.com"]
    assert settings.smtp == ("smtp.example.com", 587, "starttls-opportunistic")
    tls = parse_settings(Settings, {**EMAIL, "smtp-server": "[::1]:465"})
    assert tls.smtp == ("::1", 465, "tls")
    plain = parse_settings(Settings, {**EMAIL, "smtp-security": "none"})
    assert plain.smtp == ("smtp.example.com", 25, "none")


def test_no_channel_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="No channel is configured"):
        parse_settings(Settings, {"status": "success"})


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({**HOOK, **API}, "Both slack-webhook and slack-token are set"),
        (
            {"slack-channel": "#x", "webhook-url": "https://x.example"},
            "Input 'slack-channel': is set",
        ),
        ({"slack-payload": "{}", **EMAIL}, "Input 'slack-payload': is set"),
        ({**HOOK, "slack-channel": "#x"}, "Input 'slack-channel': needs the Web API"),
        ({**HOOK, "slack-update-ts": "1.2"}, "Input 'slack-update-ts': needs the Web API"),
        ({"slack-token": "xoxb-1"}, "Input 'slack-channel': is required with slack-token"),
        ({**API, "slack-update-ts": "1.2"}, "Input 'slack-channel': '#deploys' is a channel name"),
        (
            {**API, "slack-channel": "C0123", "slack-update-ts": "1.2", "slack-thread-ts": "1.1"},
            "Input 'slack-thread-ts': cannot be combined",
        ),
        ({**API, "slack-api-url": "https://slack.com:99999/api"}, "Input 'slack-api-url'"),
        ({"email-to": "a@example.com", **HOOK}, "Input 'email-to': is set, but smtp-server is not"),
        ({**EMAIL, "smtp-server": "host:0"}, "Input 'smtp-server': '0' is not a port number"),
        ({**EMAIL, "smtp-server": "[::1"}, "Input 'smtp-server': '[::1' has an unclosed"),
        ({**EMAIL, "email-from": ""}, "Input 'email-from': is required"),
        ({**EMAIL, "email-to": ""}, "Input 'email-to': is required"),
        ({**EMAIL, "email-bcc": "nobody"}, "Input 'email-bcc': 'nobody' is not an email address"),
        ({**EMAIL, "email-reply-to": "@x"}, "Input 'email-reply-to'"),
        ({**EMAIL, "smtp-username": "u"}, "Input 'smtp-password': is required when"),
        ({**EMAIL, "smtp-password": "p"}, "Input 'smtp-username': is required when"),
        ({**EMAIL, "smtp-security": "ssl"}, "Input 'smtp-security': 'ssl' is not allowed"),
        ({**HOOK, "links": "Docs=ftp://x"}, "Input 'links': 'Docs' has 'ftp://x'"),
        ({**HOOK, "template-env": "SHIPYARD_INPUT_SLACK_TOKEN"}, "Input 'template-env'"),
        ({**HOOK, "template-env": "NOT-A-NAME"}, "Input 'template-env': 'NOT-A-NAME'"),
        ({**HOOK, "retries": "11"}, "Input 'retries': 11 is too large"),
    ],
)
def test_bad_combinations_name_the_input(raw: dict[str, str], needle: str) -> None:
    with pytest.raises((InputError, ConfigError)) as caught:
        parse_settings(Settings, raw)
    assert needle in caught.value.message


@pytest.mark.parametrize("name", ["webhook-url", "slack-webhook"])
def test_a_bad_url_is_refused_without_its_value(name: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, {name: "http://127.0.0.1:99999/h?token=SECRETVALUE"})
    assert caught.value.message.startswith(f"Input '{name}': has an invalid host or port")
    assert "SECRETVALUE" not in caught.value.message + (caught.value.hint or "")
