"""Entry point of the notify action: ``python -m shipyard.notify``.

Everything that can be wrong with the inputs is checked, and every message is built, before
the first channel is contacted: a bad input exits 2 with nothing sent. A channel that cannot be
reached is a warning (exit 0), or exit 3 with ``fail-on-error: true``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.runtime import (
    ActionContext,
    ConfigError,
    ExitCode,
    ExternalError,
    InputError,
    main_for,
    neutralize,
    template_env,
)

from .guard import check_env_names, check_url
from .message import Notification, build_notification
from .payload import parse_payload, read_payload_text, render_template
from .render import email_html, email_subject, email_text, slack_message, webhook_json
from .slack import CHANNEL_ID, SlackWebApi, send_webhook
from .smtp import (
    SmtpSettings,
    build_email,
    check_addresses,
    envelope_recipients,
    parse_server,
    resolve_attachments,
    send_email,
)
from .spec import SPEC


@dataclass
class Delivery:
    """One channel to send to: its name for the summary and the function that sends."""

    channel: str
    send: Callable[[], str]
    result: str = ""
    ok: bool = False


def _s(ctx: ActionContext, name: str) -> str:
    return ctx.inputs.str(name)


def _template_namespaces(ctx: ActionContext, note: Notification) -> dict[str, dict[str, str]]:
    inputs: dict[str, str] = {}
    for item in SPEC.inputs:
        if item.secret:
            continue
        value = ctx.inputs.get(item.name)
        if isinstance(value, list):
            inputs[item.name] = ", ".join(value)
        elif isinstance(value, bool):
            inputs[item.name] = "true" if value else "false"
        else:
            inputs[item.name] = "" if value is None else str(value)
    inputs.update(status=note.status, title=note.title)
    return {
        "env": template_env(ctx.env, _template_allow(ctx)),
        "github": ctx.github.as_template_data(),
        "inputs": inputs,
    }


def _template_allow(ctx: ActionContext) -> list[str]:
    return check_env_names("template-env", ctx.inputs.get("template-env"))  # type: ignore[arg-type]


def _slack_payload(ctx: ActionContext, note: Notification) -> dict[str, Any]:
    custom = _s(ctx, "slack-payload")
    if not custom:
        return slack_message(note)
    text, source = read_payload_text(custom, ctx.github.workspace)
    document = parse_payload(text, source)

    def warn(message: str) -> None:
        ctx.runner.annotate("warning", message)

    rendered: dict[str, Any] = render_template(
        document, _template_namespaces(ctx, note), warn, _template_allow(ctx)
    )
    return rendered


def plan_slack(ctx: ActionContext, note: Notification) -> Delivery | None:
    webhook, token = _s(ctx, "slack-webhook"), _s(ctx, "slack-token")
    channel, update_ts = _s(ctx, "slack-channel"), _s(ctx, "slack-update-ts")
    thread_ts = _s(ctx, "slack-thread-ts")
    if not webhook and not token:
        for name in ("slack-channel", "slack-update-ts", "slack-thread-ts", "slack-payload"):
            if ctx.inputs.supplied(name):
                raise InputError(name, "is set, but neither slack-webhook nor slack-token is.")
        return None
    if webhook and token:
        raise ConfigError(
            "Both slack-webhook and slack-token are set; give one of them.",
            hint="Use slack-token (with slack-channel) to update messages and reply in threads.",
        )
    if webhook and (update_ts or channel):
        name = "slack-update-ts" if update_ts else "slack-channel"
        raise InputError(
            name,
            "needs the Web API: an incoming webhook posts to its own channel and cannot update "
            "messages.",
            hint="Use slack-token and slack-channel instead of slack-webhook.",
        )
    if webhook:
        check_url("slack-webhook", webhook)
    else:
        check_url("slack-api-url", _s(ctx, "slack-api-url"))
    if token and not channel:
        raise InputError("slack-channel", "is required with slack-token.")
    if update_ts and not CHANNEL_ID.match(channel):
        raise InputError(
            "slack-channel",
            f"'{channel}' is a channel name, but updating a message needs the channel ID.",
            hint="Pass the slack-channel output of the step that posted the message, e.g. "
            "${{ steps.started.outputs.slack-channel }}.",
        )
    if update_ts and thread_ts:
        raise InputError("slack-thread-ts", "cannot be combined with slack-update-ts.")
    payload = _slack_payload(ctx, note)
    timeout = float(ctx.inputs.get("timeout"))  # type: ignore[arg-type]
    attempts = int(ctx.inputs.get("retries")) + 1  # type: ignore[call-overload]

    if webhook:

        def send_hook() -> str:
            with_client = ctx.http("Slack", timeout=timeout, attempts=attempts)
            try:
                send_webhook(with_client, webhook, payload)
            finally:
                with_client.close()
            return "posted through the incoming webhook"

        return Delivery("Slack (webhook)", send_hook)

    def send_api() -> str:
        client = ctx.http("Slack", timeout=timeout, attempts=attempts)
        try:
            api = SlackWebApi(client, token, _s(ctx, "slack-api-url"))
            if update_ts:
                result = api.update(channel, update_ts, payload)
            else:
                result = api.post(channel, payload, thread_ts)
        finally:
            client.close()
        ctx.set_output("slack-ts", result.ts)
        ctx.set_output("slack-channel", result.channel)
        verb = "updated" if result.updated else ("replied in thread" if thread_ts else "posted")
        return f"{verb}: channel {neutralize(result.channel)}, ts {neutralize(result.ts)}"

    return Delivery("Slack (Web API)", send_api)


def plan_email(ctx: ActionContext, note: Notification) -> Delivery | None:
    server = _s(ctx, "smtp-server")
    to: list[str] = ctx.inputs.get("email-to")  # type: ignore[assignment]
    if not server:
        for name in ("email-to", "email-from", "smtp-username", "smtp-password"):
            if ctx.inputs.supplied(name):
                raise InputError(name, "is set, but smtp-server is not.")
        return None
    security = _s(ctx, "smtp-security")
    host, port, mode = parse_server(server, security)
    sender = _s(ctx, "email-from")
    if not sender:
        raise InputError("email-from", "is required to send email.")
    check_addresses("email-from", [sender])
    if not to:
        raise InputError("email-to", "is required to send email (one or more addresses).")
    check_addresses("email-to", to)
    cc: list[str] = check_addresses("email-cc", ctx.inputs.get("email-cc"))  # type: ignore[arg-type]
    bcc: list[str] = check_addresses("email-bcc", ctx.inputs.get("email-bcc"))  # type: ignore[arg-type]
    reply_to = _s(ctx, "email-reply-to")
    if reply_to:
        check_addresses("email-reply-to", [reply_to])
    username, password = _s(ctx, "smtp-username"), _s(ctx, "smtp-password")
    if bool(username) != bool(password):
        missing = "smtp-password" if username else "smtp-username"
        raise InputError(missing, "is required when the other SMTP credential is set.")

    def warn(message: str) -> None:
        ctx.runner.annotate("warning", message)

    attachments = resolve_attachments(
        ctx.inputs.get("email-attachments"),  # type: ignore[arg-type]
        ctx.github.workspace,
        warn,
    )
    message = build_email(
        sender=sender,
        to=to,
        cc=cc,
        reply_to=reply_to,
        subject=_s(ctx, "email-subject") or email_subject(note),
        text=email_text(note),
        html=email_html(note),
        attachments=attachments,
    )
    settings = SmtpSettings(
        host=host,
        port=port,
        security=mode,
        username=username,
        password=password,
        timeout=float(ctx.inputs.get("timeout")),  # type: ignore[arg-type]
        attempts=int(ctx.inputs.get("retries")) + 1,  # type: ignore[call-overload]
    )
    recipients = envelope_recipients(to, cc, bcc)

    def send() -> str:
        result = send_email(settings, message, recipients, log=ctx.runner.info)
        ctx.set_output("email-message-id", result.message_id)
        if result.encryption.startswith("none") and mode != "none":
            warn(f"Email to {host}:{port} was sent without encryption ({result.encryption}).")
        refused = f"; refused: {', '.join(result.refused)}" if result.refused else ""
        files = f", {len(attachments)} attachment(s)" if attachments else ""
        return (
            f"sent to {result.recipients} recipient(s) via {host}:{port} "
            f"({result.encryption}){files}{refused}"
        )

    return Delivery("Email", send)


def plan_webhook(ctx: ActionContext, note: Notification) -> Delivery | None:
    url = _s(ctx, "webhook-url")
    if not url:
        return None
    check_url("webhook-url", url)
    body = webhook_json(note)

    def send() -> str:
        from .webhook import send_json

        client = ctx.http(
            "Webhook",
            timeout=float(ctx.inputs.get("timeout")),  # type: ignore[arg-type]
            attempts=int(ctx.inputs.get("retries")) + 1,  # type: ignore[call-overload]
        )
        try:
            status = send_json(client, url, body)
        finally:
            client.close()
        return f"delivered (HTTP {status})"

    return Delivery("Webhook", send)


def run(ctx: ActionContext) -> ExitCode:
    note = build_notification(
        status=_s(ctx, "status"),
        title=_s(ctx, "title"),
        message=_s(ctx, "message"),
        environment=_s(ctx, "environment"),
        version=_s(ctx, "version"),
        links=ctx.inputs.get("links"),  # type: ignore[arg-type]
        context=ctx.github,
    )
    deliveries = [
        delivery
        for delivery in (plan_slack(ctx, note), plan_email(ctx, note), plan_webhook(ctx, note))
        if delivery is not None
    ]
    if not deliveries:
        raise ConfigError(
            "No channel is configured.",
            hint="Set slack-webhook, or slack-token with slack-channel, or smtp-server with "
            "email-from and email-to, or webhook-url.",
        )
    for delivery in deliveries:
        try:
            delivery.result = delivery.send()
            delivery.ok = True
            ctx.runner.info(f"{delivery.channel}: {neutralize(delivery.result)}")
        except ExternalError as exc:
            delivery.result = exc.message + (f" {exc.hint}" if exc.hint else "")
            ctx.runner.annotate("warning", delivery.result, title=f"{delivery.channel} failed")
    ctx.set_output(
        "results",
        {d.channel: "sent" if d.ok else f"failed: {d.result}" for d in deliveries},
    )
    failed = [d for d in deliveries if not d.ok]
    ctx.summary.heading(f"{note.headline}", 3)
    ctx.summary.table(
        ["Channel", "Result", "Details"],
        [[d.channel, "\u2705 sent" if d.ok else "\u274c failed", d.result] for d in deliveries],
    )
    if failed and ctx.inputs.get("fail-on-error"):
        ctx.runner.annotate(
            "error",
            f"{len(failed)} of {len(deliveries)} channel(s) failed: "
            + ", ".join(d.channel for d in failed),
            title="Notification failed",
        )
        ctx.summary.raw(
            "**What to do:** check the failed channel's details above; the run can be retried."
        )
        return ExitCode.EXTERNAL
    return ExitCode.OK


main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
