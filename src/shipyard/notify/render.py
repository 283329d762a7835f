"""How a notification looks in each channel: Slack Block Kit, email text + HTML, JSON.

The message input is Markdown. Slack's mrkdwn and HTML email get a small, safe conversion
(written here rather than with a Markdown library so that untrusted text, such as a commit
message, can never inject HTML or Slack control sequences: everything is escaped first and
only a few constructs are converted: **bold**, *italic*, `code`, [links](https://...), lists).
"""

from __future__ import annotations

import html
import re
from typing import Any

from .message import Notification

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_CODE = re.compile(r"`([^`\n]+)`")

SLACK_HEADER_MAX = 150
SLACK_TEXT_MAX = 3000
_TH_STYLE = "padding:2px 12px 2px 0"
SLACK_BUTTON_TEXT_MAX = 75
SLACK_FIELDS_MAX = 10
SLACK_ACTIONS_MAX = 25


def slack_escape(text: str) -> str:
    """Escape the three characters Slack treats as control sequences."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_to_mrkdwn(text: str) -> str:
    """Markdown -> Slack mrkdwn: links become <url|text>, **bold** becomes *bold*."""
    escaped = slack_escape(text)
    escaped = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", escaped)
    escaped = _BOLD.sub(r"*\1*", escaped)
    return re.sub(r"^(\s*)[-*] ", "\\1\u2022 ", escaped, flags=re.MULTILINE)


def markdown_to_html(text: str) -> str:
    """Markdown -> a small safe HTML subset (escaped first)."""
    out: list[str] = []
    in_list = False
    for line in text.splitlines():
        stripped = line.strip()
        is_item = stripped.startswith(("- ", "* "))
        if is_item and not in_list:
            out.append("<ul>")
            in_list = True
        if not is_item and in_list:
            out.append("</ul>")
            in_list = False
        body = _inline_html(stripped[2:] if is_item else stripped)
        if is_item:
            out.append(f"<li>{body}</li>")
        elif stripped:
            out.append(f"<p>{body}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _inline_html(text: str) -> str:
    escaped = html.escape(text, quote=True)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', escaped)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _ITALIC.sub(r"<em>\1</em>", escaped)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def slack_message(note: Notification) -> dict[str, Any]:
    """The default message: a coloured attachment of Block Kit blocks, plus fallback text."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _truncate(note.headline, SLACK_HEADER_MAX),
                "emoji": True,
            },
        }
    ]
    if note.message:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _truncate(markdown_to_mrkdwn(note.message), SLACK_TEXT_MAX),
                },
            }
        )
    if note.fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": f"*{slack_escape(label)}*\n{_field_value(note, label, value)}",
                    }
                    for label, value in note.fields[:SLACK_FIELDS_MAX]
                ],
            }
        )
    if note.links:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {
                            "type": "plain_text",
                            "text": _truncate(link.label, SLACK_BUTTON_TEXT_MAX),
                        },
                        "url": link.url,
                    }
                    for link in note.links[:SLACK_ACTIONS_MAX]
                ],
            }
        )
    context = note.context
    if context.workflow or context.run_number:
        where = " \u00b7 ".join(
            part
            for part in (
                context.repository,
                context.workflow,
                f"#{context.run_number}" if context.run_number else "",
            )
            if part
        )
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(where)}]}
        )
    return {
        "text": _truncate(slack_escape(note.headline), SLACK_TEXT_MAX),
        "attachments": [{"color": note.style.color, "blocks": blocks}],
    }


def _field_value(note: Notification, label: str, value: str) -> str:
    context = note.context
    if label == "Commit" and context.commit_url:
        return f"<{context.commit_url}|{slack_escape(value)}>"
    if label == "Repository" and context.repository_url:
        return f"<{context.repository_url}|{slack_escape(value)}>"
    return slack_escape(value)


def email_subject(note: Notification) -> str:
    """Default subject: status tag and title, on one line."""
    tag = note.status.upper() if note.style.verb else note.status
    subject = f"[{tag}] {note.title}"
    if note.context.repository:
        subject += f" ({note.context.repository})"
    return " ".join(subject.split())


def email_text(note: Notification) -> str:
    """The plain-text part of the e-mail: headline, message, aligned fields, links."""
    lines = [note.headline, ""]
    if note.message:
        lines += [note.message, ""]
    width = max((len(label) for label, _ in note.fields), default=0)
    lines += [f"{label + ':':<{width + 1}} {value}" for label, value in note.fields]
    if note.links:
        lines += ["", *(f"{link.label}: {link.url}" for link in note.links)]
    return "\n".join(lines).rstrip() + "\n"


def email_html(note: Notification) -> str:
    """The HTML part of the e-mail (every value escaped), with the status color as a left border."""
    esc = html.escape
    border = f"border-left:6px solid {esc(note.style.color)};padding-left:8px"
    rows = "\n".join(
        f'<tr><th align="left" style="{_TH_STYLE}">{esc(label)}</th><td>{esc(value)}</td></tr>'
        for label, value in note.fields
    )
    links = " &middot; ".join(
        f'<a href="{esc(link.url)}">{esc(link.label)}</a>' for link in note.links
    )
    parts = [
        "<!DOCTYPE html>",
        '<html><body style="font-family:sans-serif">',
        f'<h2 style="{border}">{esc(note.headline)}</h2>',
    ]
    if note.message:
        parts.append(markdown_to_html(note.message))
    if rows:
        parts.append(f"<table>{rows}</table>")
    if links:
        parts.append(f"<p>{links}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def webhook_json(note: Notification) -> dict[str, Any]:
    """The generic webhook's body: the same data, as plain JSON."""
    context = note.context
    return {
        "status": note.status,
        "title": note.title,
        "text": note.headline,
        "message": note.message,
        "color": note.style.color,
        "environment": note.environment,
        "version": note.version,
        "fields": [{"name": label, "value": value} for label, value in note.fields],
        "links": [{"label": link.label, "url": link.url} for link in note.links],
        "repository": context.repository,
        "sha": context.sha,
        "ref": context.ref,
        "actor": context.triggering_actor,
        "workflow": context.workflow,
        "run_id": context.run_id,
        "run_url": context.run_url,
    }
