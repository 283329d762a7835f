"""The default messages: title, fields, links, escaping in Slack mrkdwn and HTML."""

from __future__ import annotations

import pytest

from shipyard.notify.message import build_notification, normalize_status
from shipyard.notify.render import (
    email_subject,
    markdown_to_html,
    markdown_to_mrkdwn,
    slack_message,
    webhook_json,
)
from shipyard.runtime import InputError, RunContext

CONTEXT = RunContext(
    repository="your-org/shop",
    sha="0123456789abcdef",
    actor="alice",
    triggering_actor="bob",
    workflow="Release",
    run_id="99",
    run_number="7",
)


def note(**overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = dict(
        status="failure",
        title="",
        message="",
        environment="production",
        version="v2.0.0",
        links=["Changelog=https://example.com/c"],
        context=CONTEXT,
    )
    values.update(overrides)
    return build_notification(**values)  # type: ignore[arg-type]


def test_status_default_and_aliases() -> None:
    assert normalize_status("") == "success"
    assert normalize_status("FAILED") == "failure"
    assert normalize_status("Canceled") == "cancelled"
    assert normalize_status("Rolling back") == "Rolling back"


def test_default_slack_message_has_title_fields_buttons_colour() -> None:
    message = slack_message(note())
    assert message["text"] == "\u274c Production Deployment Failed"
    attachment = message["attachments"][0]
    assert attachment["color"] == "#a30200"
    blocks = attachment["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "\u274c Production Deployment Failed",
            "emoji": True,
        },
    }
    fields = [field["text"] for field in blocks[1]["fields"]]
    assert fields == [
        "*Version*\nv2.0.0",
        "*Environment*\nproduction",
        "*Deployed by*\nbob",
        "*Status*\n\u274c failure",
        "*Repository*\n<https://github.com/your-org/shop|your-org/shop>",
        "*Commit*\n<https://github.com/your-org/shop/commit/0123456789abcdef|0123456>",
    ]
    buttons = blocks[2]["elements"]
    assert [(b["text"]["text"], b["url"]) for b in buttons] == [
        ("Changelog", "https://example.com/c"),
        ("View run", "https://github.com/your-org/shop/actions/runs/99"),
    ]


def test_title_without_environment_and_free_text_status() -> None:
    n = note(environment="", status="Rolling back")
    assert n.title == "Release Rolling back"
    assert n.style.emoji == "\u2139\ufe0f"
    assert email_subject(n) == "[Rolling back] Release Rolling back (your-org/shop)"


def test_markdown_conversions_escape_first() -> None:
    assert markdown_to_mrkdwn("**bold** <@U123> & [site](https://x.io)\n- item") == (
        "*bold* &lt;@U123&gt; &amp; <https://x.io|site>\n\u2022 item"
    )
    assert markdown_to_html('say "<b>" `x<y` *it*') == (
        "<p>say &quot;&lt;b&gt;&quot; <code>x&lt;y</code> <em>it</em></p>"
    )
    assert markdown_to_html("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>"


@pytest.mark.parametrize(
    "line", ["no-equals", "Docs=ftp://x", "=https://x", "Docs=javascript:alert(1)"]
)
def test_bad_links_name_the_input(line: str) -> None:
    with pytest.raises(InputError, match="Input 'links'"):
        note(links=[line])


def test_webhook_json_carries_the_same_data() -> None:
    body = webhook_json(note(status="success"))
    assert body["status"] == "success" and body["title"] == "Production Deployment Successful"
    assert body["run_url"] == "https://github.com/your-org/shop/actions/runs/99"
    assert {"name": "Version", "value": "v2.0.0"} in body["fields"]
