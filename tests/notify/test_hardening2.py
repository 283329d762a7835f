"""Regression tests of issue 17 for notify, through the real entry point and real servers.
Each failed on 3824f64:

10. a hostile SMTP server or Slack API answering with the runner's old ``##[name]data``
    command form (honoured anywhere in a line) issued workflow commands;
11. a host label over 63 characters (or a bad IDNA name, or a bad port) in a URL or the SMTP
    server name ended in a traceback ("Internal error", exit 1); now exit 2 naming the input,
    never showing a secret value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.notify._run import run_notify
from tests.notify.test_hardening import MultiLineFault
from tests.runner_commands import issued_commands
from tests.services.plugin_smtp import SMTP_PASSWORD, SMTP_USER
from tests.services.scripted_http import ScriptedHttpServer
from tests.services.smtp_server import SmtpServer

LONG = "a" * 70
SECRET = "SECRETVALUE"
OLD_FORMS = (
    "##[add-mask]anything",
    "queued ##[set-output name=leak;]1",
    "  ##[warning]forged",
    "x ##[error file=a.py;line=1;]forged",
)


def test_an_smtp_reply_in_the_old_command_form_is_inert(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.ca_cert))
    fault = MultiLineFault(
        code=451, stage="DATA", text="", lines=("4.3.0 try again later", *OLD_FORMS)
    )
    with smtp_server._lock:
        smtp_server._faults.append(fault)
    result = run_notify(
        tmp_path,
        {
            "smtp-server": f"127.0.0.1:{smtp_server.submission_port}",
            "smtp-username": SMTP_USER,
            "smtp-password": SMTP_PASSWORD,
            "email-from": "deploy@example.com",
            "email-to": "ops@example.com",
            "retries": "1",
        },
    )
    assert "## [add-mask]anything" in result.log  # the reply is still shown
    # the only command is the runtime's own mask of the password
    assert [(c.name, c.data) for c in issued_commands(result.log)] == [
        ("add-mask", SMTP_PASSWORD)
    ], result.log
    assert result.results == {"Email": "sent"}, result.log


def test_slack_reply_fields_in_the_old_command_form_are_inert(tmp_path: Path) -> None:
    hostile = ScriptedHttpServer().start()
    try:
        answer = {"ok": True, "channel": "C123 ##[add-mask]anything", "ts": "1.2##[error]x"}
        hostile.answer(200, json.dumps(answer), **{"Content-Type": "application/json"})
        result = run_notify(
            tmp_path,
            {"slack-token": "xoxb-1", "slack-api-url": hostile.url, "slack-channel": "#x"},
        )
    finally:
        hostile.stop()
    assert result.code == 0, result.log
    # the only command is the runtime's own mask of the token
    assert [(c.name, c.data) for c in issued_commands(result.log)] == [("add-mask", "xoxb-1")]
    assert "## [add-mask]anything" in result.log


@pytest.mark.parametrize(
    ("inputs", "name"),
    [
        ({"webhook-url": f"http://{LONG}.example.com/h?token={SECRET}"}, "webhook-url"),
        ({"webhook-url": f"https://bad\u00e9{LONG}.example/h?token={SECRET}"}, "webhook-url"),
        ({"webhook-url": f"https://hook.example:70000/h?token={SECRET}"}, "webhook-url"),
        ({"slack-webhook": f"https://{LONG}.slack.com/services/{SECRET}"}, "slack-webhook"),
        (
            {
                "slack-token": "xoxb-1",
                "slack-channel": "#x",
                "slack-api-url": f"https://a..b/api/{SECRET}",
            },
            "slack-api-url",
        ),
        (
            {
                "smtp-server": f"{LONG}.example.com",
                "email-from": "a@example.com",
                "email-to": "b@example.com",
            },
            "smtp-server",
        ),
        (
            {
                "smtp-server": "smtp.example.com:99999",
                "email-from": "a@example.com",
                "email-to": "b@example.com",
            },
            "smtp-server",
        ),
        ({"webhook-url": "https://hook.example/", "links": f"Docs=https://{LONG}.x/"}, "links"),
    ],
)
def test_a_bad_address_is_exit_2_naming_the_input(
    tmp_path: Path, inputs: dict[str, str], name: str
) -> None:
    result = run_notify(tmp_path, inputs)
    assert result.code == 2, result.log
    assert f"Input '{name}'" in result.log
    assert SECRET not in result.visible
    assert "Traceback" not in result.visible and "Internal error" not in result.visible
