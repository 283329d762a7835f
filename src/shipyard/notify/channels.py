"""The channels a run sends to, each prepared completely (payload read, message built,
attachments found) before the first one is contacted. The settings are already checked
(``settings.py``); what is left here needs files or the environment.

Email's modules (``mail``, ``smtp``: the ``email`` MIME classes and ``smtplib``) are imported
only when email is configured, so a Slack-only run starts without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.runtime import ActionContext, HttpClient, template_env
from shipyard.runtime.settings import input_values

from .message import Notification
from .render import email_html, email_subject, email_text, slack_message, webhook_json
from .report import ChannelResult
from .spec import SPEC, Settings

Context = ActionContext[Settings]


@dataclass(frozen=True)
class Delivery:
    """One channel to send to: its name for the summary and the function that sends."""

    channel: str
    send: Callable[[], ChannelResult]


def prepare(ctx: Context, note: Notification) -> list[Delivery]:
    """A delivery for every configured channel, each ready to send: payloads read and rendered, the
    email built, its attachments found (a bad one is an input error before anything is sent)."""
    settings = ctx.settings
    deliveries = []
    if settings.slack_webhook or settings.slack_token:
        deliveries.append(_slack(ctx, note))
    if settings.smtp_server:
        deliveries.append(_email(ctx, note))
    if settings.webhook_url:
        deliveries.append(_webhook(ctx, note))
    return deliveries


def _warn(ctx: Context) -> Callable[[str], None]:
    return lambda message: ctx.runner.annotate("warning", message)


def _template_namespaces(ctx: Context, note: Notification) -> dict[str, dict[str, str]]:
    secret = {item.name for item in SPEC.inputs if item.secret}
    inputs: dict[str, str] = {}
    for name, value in input_values(ctx.settings).items():
        if name in secret:
            continue
        if isinstance(value, list):
            inputs[name] = ", ".join(value)
        elif isinstance(value, bool):
            inputs[name] = "true" if value else "false"
        else:
            inputs[name] = "" if value is None else str(value)
    inputs.update(status=note.status, title=note.title)
    return {
        "env": template_env(ctx.env, ctx.settings.template_env),
        "github": ctx.run.as_template_data(),
        "inputs": inputs,
    }


def _slack_payload(ctx: Context, note: Notification) -> dict[str, Any]:
    custom = ctx.settings.slack_payload
    if not custom:
        return slack_message(note)
    from .payload import parse_payload, read_payload_text, render_template

    text, source = read_payload_text(custom, ctx.run.workspace)
    document = parse_payload(text, source)
    namespaces = _template_namespaces(ctx, note)
    rendered: dict[str, Any] = render_template(
        document, namespaces, _warn(ctx), ctx.settings.template_env
    )
    return rendered


def _slack(ctx: Context, note: Notification) -> Delivery:
    from .slack import SlackWebApi, send_webhook

    settings = ctx.settings
    payload = _slack_payload(ctx, note)

    def http() -> HttpClient:
        return ctx.http("Slack", timeout=settings.timeout, attempts=settings.attempts)

    if settings.slack_webhook:

        def send_hook() -> ChannelResult:
            send_webhook(http(), settings.slack_webhook, payload)
            return ChannelResult("Slack (webhook)", True, "posted through the incoming webhook")

        return Delivery("Slack (webhook)", send_hook)

    def send_api() -> ChannelResult:
        api = SlackWebApi(http(), settings.slack_token, settings.slack_api_url)
        if settings.slack_update_ts:
            result = api.update(settings.slack_channel, settings.slack_update_ts, payload)
        else:
            result = api.post(settings.slack_channel, payload, settings.slack_thread_ts)
        verb = (
            "updated"
            if result.updated
            else ("replied in thread" if settings.slack_thread_ts else "posted")
        )
        return ChannelResult(
            "Slack (Web API)",
            True,
            f"{verb}: channel {result.channel}, ts {result.ts}",
            {"slack-ts": result.ts, "slack-channel": result.channel},
        )

    return Delivery("Slack (Web API)", send_api)


def _email(ctx: Context, note: Notification) -> Delivery:
    from .mail import build_email, envelope_recipients, resolve_attachments
    from .smtp import SmtpSettings, send_email

    settings = ctx.settings
    warn = _warn(ctx)
    attachments = resolve_attachments(settings.email_attachments, ctx.run.workspace, warn)
    message = build_email(
        sender=settings.email_from,
        to=settings.email_to,
        cc=settings.email_cc,
        reply_to=settings.email_reply_to,
        subject=settings.email_subject or email_subject(note),
        text=email_text(note),
        html=email_html(note),
        attachments=attachments,
    )
    smtp = SmtpSettings(
        settings.smtp,
        settings.smtp_username,
        settings.smtp_password,
        settings.timeout,
        settings.attempts,
    )
    recipients = envelope_recipients(settings.email_to, settings.email_cc, settings.email_bcc)

    def send() -> ChannelResult:
        result = send_email(smtp, message, recipients, log=ctx.runner.info)
        if result.encryption.startswith("none") and settings.smtp.security != "none":
            warn(f"Email to {smtp.where} was sent without encryption ({result.encryption}).")
        refused = f"; refused: {', '.join(result.refused)}" if result.refused else ""
        files = f", {len(attachments)} attachment(s)" if attachments else ""
        detail = (
            f"sent to {result.recipients} recipient(s) via {smtp.where} "
            f"({result.encryption}){files}{refused}"
        )
        return ChannelResult("Email", True, detail, {"email-message-id": result.message_id})

    return Delivery("Email", send)


def _webhook(ctx: Context, note: Notification) -> Delivery:
    settings = ctx.settings
    body = webhook_json(note)

    def send() -> ChannelResult:
        from .webhook import send_json

        client = ctx.http("Webhook", timeout=settings.timeout, attempts=settings.attempts)
        status = send_json(client, settings.webhook_url, body)
        return ChannelResult("Webhook", True, f"delivered (HTTP {status})")

    return Delivery("Webhook", send)
