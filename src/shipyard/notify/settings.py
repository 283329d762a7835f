"""Cross-input checks of notify's settings: pure (no environment, no files, no network), run by
``Settings.__post_init__``, so a bad combination exits 2 before anything is sent and is
unit-tested with ``parse_settings`` alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from shipyard.runtime import ConfigError, InputError

from .guard import check_env_names
from .message import parse_links

if TYPE_CHECKING:
    from .spec import Settings

CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25, "auto": 587}
_SLACK_ONLY = ("slack_channel", "slack_update_ts", "slack_thread_ts", "slack_payload")
_EMAIL_ONLY = ("email_to", "email_from", "smtp_username", "smtp_password")


class SmtpEndpoint(NamedTuple):
    """Where to send email: host, port and the TLS mode in effect."""

    host: str
    port: int
    #: tls, starttls, none, or starttls-opportunistic (auto on a port other than 465)
    security: str


def validate(settings: Settings) -> None:
    """Every check that needs only the inputs; raises InputError/ConfigError."""
    parse_links(settings.links)
    check_env_names("template-env", settings.template_env)
    _check_slack(settings)
    _check_email(settings)
    channels = (settings.slack_webhook, settings.slack_token, settings.smtp_server)
    if not any((*channels, settings.webhook_url)):
        raise ConfigError(
            "No channel is configured.",
            hint="Set slack-webhook, or slack-token with slack-channel, or smtp-server with "
            "email-from and email-to, or webhook-url.",
        )


def _name(field: str) -> str:
    return field.replace("_", "-")


def _check_slack(settings: Settings) -> None:
    """Slack's inputs agree: one of webhook or token, and what the Web API needs."""
    if not settings.slack_webhook and not settings.slack_token:
        for field in _SLACK_ONLY:
            if getattr(settings, field):
                raise InputError(
                    _name(field), "is set, but neither slack-webhook nor slack-token is."
                )
        return
    if settings.slack_webhook and settings.slack_token:
        raise ConfigError(
            "Both slack-webhook and slack-token are set; give one of them.",
            hint="Use slack-token (with slack-channel) to update messages and reply in threads.",
        )
    if settings.slack_webhook:
        if settings.slack_update_ts or settings.slack_channel:
            raise InputError(
                "slack-update-ts" if settings.slack_update_ts else "slack-channel",
                "needs the Web API: an incoming webhook posts to its own channel and cannot "
                "update messages.",
                hint="Use slack-token and slack-channel instead of slack-webhook.",
            )
        return
    if not settings.slack_channel:
        raise InputError("slack-channel", "is required with slack-token.")
    if settings.slack_update_ts and not CHANNEL_ID.match(settings.slack_channel):
        raise InputError(
            "slack-channel",
            f"'{settings.slack_channel}' is a channel name, but updating a message needs the "
            "channel ID.",
            hint="Pass the slack-channel output of the step that posted the message, e.g. "
            "${{ steps.started.outputs.slack-channel }}.",
        )
    if settings.slack_update_ts and settings.slack_thread_ts:
        raise InputError("slack-thread-ts", "cannot be combined with slack-update-ts.")


def _check_email(settings: Settings) -> None:
    """Email's inputs agree: a server, a sender and recipients that are addresses."""
    if not settings.smtp_server:
        for field in _EMAIL_ONLY:
            if getattr(settings, field):
                raise InputError(_name(field), "is set, but smtp-server is not.")
        return
    smtp_endpoint(settings.smtp_server, settings.smtp_security)
    if not settings.email_from:
        raise InputError("email-from", "is required to send email.")
    check_addresses("email-from", [settings.email_from])
    if not settings.email_to:
        raise InputError("email-to", "is required to send email (one or more addresses).")
    check_addresses("email-to", settings.email_to)
    check_addresses("email-cc", settings.email_cc)
    check_addresses("email-bcc", settings.email_bcc)
    if settings.email_reply_to:
        check_addresses("email-reply-to", [settings.email_reply_to])
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        missing = "smtp-password" if settings.smtp_username else "smtp-username"
        raise InputError(missing, "is required when the other SMTP credential is set.")


def smtp_endpoint(value: str, security: str) -> SmtpEndpoint:
    """``host``, ``host:port`` or ``[v6]:port`` (checked by the runtime's HostPort kind) ->
    host, port, effective security mode."""
    from shipyard.runtime.network import AddressError, split_host_port

    try:
        host, port = split_host_port(value)
    except AddressError as exc:  # a value that did not come through the settings
        raise InputError("smtp-server", f"is not host or host:port: it {exc}.") from None
    port = port or DEFAULT_PORTS[security]
    mode = security
    if security == "auto":
        mode = "tls" if port == 465 else "starttls-opportunistic"
    return SmtpEndpoint(host, port, mode)


def check_addresses(name: str, values: Sequence[str]) -> list[str]:
    """Each value must be an address (optionally with a display name)."""
    from email.utils import parseaddr

    addresses = []
    for value in values:
        if "\n" in value or "\r" in value:
            raise InputError(name, "an address contains a line break.")
        _, address = parseaddr(value)
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise InputError(name, f"'{value}' is not an email address.")
        addresses.append(value)
    return addresses
