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
    s = settings
    if not any((s.slack_webhook, s.slack_token, s.smtp_server, s.webhook_url)):
        raise ConfigError(
            "No channel is configured.",
            hint="Set slack-webhook, or slack-token with slack-channel, or smtp-server with "
            "email-from and email-to, or webhook-url.",
        )


def _name(field: str) -> str:
    return field.replace("_", "-")


def _check_slack(s: Settings) -> None:
    if not s.slack_webhook and not s.slack_token:
        for field in _SLACK_ONLY:
            if getattr(s, field):
                raise InputError(
                    _name(field), "is set, but neither slack-webhook nor slack-token is."
                )
        return
    if s.slack_webhook and s.slack_token:
        raise ConfigError(
            "Both slack-webhook and slack-token are set; give one of them.",
            hint="Use slack-token (with slack-channel) to update messages and reply in threads.",
        )
    if s.slack_webhook:
        if s.slack_update_ts or s.slack_channel:
            raise InputError(
                "slack-update-ts" if s.slack_update_ts else "slack-channel",
                "needs the Web API: an incoming webhook posts to its own channel and cannot "
                "update messages.",
                hint="Use slack-token and slack-channel instead of slack-webhook.",
            )
        return
    if not s.slack_channel:
        raise InputError("slack-channel", "is required with slack-token.")
    if s.slack_update_ts and not CHANNEL_ID.match(s.slack_channel):
        raise InputError(
            "slack-channel",
            f"'{s.slack_channel}' is a channel name, but updating a message needs the channel ID.",
            hint="Pass the slack-channel output of the step that posted the message, e.g. "
            "${{ steps.started.outputs.slack-channel }}.",
        )
    if s.slack_update_ts and s.slack_thread_ts:
        raise InputError("slack-thread-ts", "cannot be combined with slack-update-ts.")


def _check_email(s: Settings) -> None:
    if not s.smtp_server:
        for field in _EMAIL_ONLY:
            if getattr(s, field):
                raise InputError(_name(field), "is set, but smtp-server is not.")
        return
    smtp_endpoint(s.smtp_server, s.smtp_security)
    if not s.email_from:
        raise InputError("email-from", "is required to send email.")
    check_addresses("email-from", [s.email_from])
    if not s.email_to:
        raise InputError("email-to", "is required to send email (one or more addresses).")
    check_addresses("email-to", s.email_to)
    check_addresses("email-cc", s.email_cc)
    check_addresses("email-bcc", s.email_bcc)
    if s.email_reply_to:
        check_addresses("email-reply-to", [s.email_reply_to])
    if bool(s.smtp_username) != bool(s.smtp_password):
        missing = "smtp-password" if s.smtp_username else "smtp-username"
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
