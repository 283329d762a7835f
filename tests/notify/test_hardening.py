"""Regression tests of issue 8 (notify's items): each failed on the code before its fix.

1. payload templates see an allow-list of the environment, never inputs or credentials;
4. text from a hostile server cannot issue workflow commands;
5. the Slack top-level text cannot mention @here/@channel;
6. slack-payload files stay inside the workspace;
7. a malformed URL is an input error that does not show the URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.notify._run import run_notify
from tests.services.plugin_smtp import SMTP_PASSWORD, SMTP_USER
from tests.services.scripted_http import ScriptedHttpServer
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator
from tests.services.smtp_server import Fault, SmtpServer

FORGED = ("::set-output", "::warning::forged", "::add-mask::anything", "::error::forged")


def api(emulator: SlackEmulator, **extra: str) -> dict[str, str]:
    return {
        "slack-token": DEFAULT_TOKEN,
        "slack-api-url": emulator.api_url,
        "slack-channel": "#deploys",
        **extra,
    }


def forged_commands(log: str) -> list[str]:
    """Lines the runner would take as workflow commands we did not write."""
    return [line for line in log.splitlines() if line.lstrip().startswith(FORGED)]


# -- 1. templates see an allow-list of the environment ------------------------------------


def test_a_template_cannot_read_secret_inputs_or_credentials(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("#deploys")
    payload = '{"text":"{{ env.SHIPYARD_INPUT_SLACK_TOKEN }} {{ env.AWS_SECRET_ACCESS_KEY }}"}'
    result = run_notify(
        tmp_path,
        api(slack_emulator, **{"slack-payload": payload}),
        AWS_SECRET_ACCESS_KEY="aws-s3cr3t-value",
    )
    posted = json.dumps(slack_emulator.messages())
    assert DEFAULT_TOKEN not in posted and "aws-s3cr3t-value" not in posted
    assert result.code == 2, result.log
    assert "Input 'slack-payload'" in result.log and "template-env" in result.log
    assert slack_emulator.requests == []


@pytest.mark.parametrize(
    ("placeholder", "extra_env"),
    [
        ("{{ env.GITHUB_TOKEN }}", {"GITHUB_TOKEN": "ghs_s3cr3t"}),
        ("{{ env.DB_PASSWORD }}", {"DB_PASSWORD": "s3cr3t"}),
        ("{{ env.DEPLOY_HOST }}", {"DEPLOY_HOST": "web-1"}),
        ("{{ env.INPUT_SLACK_TOKEN }}", {"INPUT_SLACK_TOKEN": "xoxb-s3cr3t"}),
    ],
)
def test_names_not_listed_are_refused(
    tmp_path: Path, slack_emulator: SlackEmulator, placeholder: str, extra_env: dict[str, str]
) -> None:
    slack_emulator.add_channel("#deploys")
    result = run_notify(
        tmp_path,
        api(slack_emulator, **{"slack-payload": json.dumps({"text": placeholder})}),
        **extra_env,
    )
    assert result.code == 2, result.log
    assert "template-env" in result.log
    assert slack_emulator.requests == []


def test_listed_names_and_the_run_context_are_available(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    channel_id = slack_emulator.add_channel("#deploys")
    text = "{{ env.GITHUB_REPOSITORY }} {{ env.RUNNER_OS }} {{ env.DEPLOY_HOST }} {{ env.API_KEY }}"
    result = run_notify(
        tmp_path,
        api(
            slack_emulator,
            **{"slack-payload": json.dumps({"text": text}), "template-env": "DEPLOY_HOST, API_KEY"},
        ),
        RUNNER_OS="Linux",
        DEPLOY_HOST="web-1",
        API_KEY="named-on-purpose",
    )
    assert result.code == 0, result.log
    (message,) = slack_emulator.messages(channel_id)
    assert message["text"] == "your-org/shop Linux web-1 named-on-purpose"


def test_input_variables_stay_out_even_when_listed(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("#deploys")
    result = run_notify(
        tmp_path,
        api(
            slack_emulator,
            **{
                "slack-payload": '{"text": "{{ env.SHIPYARD_INPUT_SLACK_TOKEN }}"}',
                "template-env": "SHIPYARD_INPUT_SLACK_TOKEN",
            },
        ),
    )
    assert result.code == 2, result.log
    assert "Input 'template-env'" in result.log
    assert slack_emulator.requests == []


# -- 4. hostile servers cannot issue workflow commands -------------------------------------


@dataclass(frozen=True)
class MultiLineFault(Fault):
    """A multi-line reply (``451-...`` lines, then ``451 ...``), as a hostile server sends."""

    lines: tuple[str, ...] = ()

    @property
    def reply(self) -> str:
        *first, last = self.lines
        return "".join(f"{self.code}-{line}\r\n" for line in first) + f"{self.code} {last}"


def test_a_multi_line_smtp_reply_cannot_issue_workflow_commands(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.ca_cert))
    fault = MultiLineFault(
        code=451,
        stage="DATA",
        text="",
        lines=(
            "4.3.0 try again later",
            "::set-output name=leak::1",
            "  ::warning::forged",
            "::error::forged",
        ),
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
    assert "answered 451 4.3.0 try again later" in result.log  # the reply is still shown
    assert forged_commands(result.log) == [], result.log
    assert result.results == {"Email": "sent"}, result.log


def test_slack_reply_fields_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    hostile = ScriptedHttpServer().start()
    try:
        hostile.answer(
            200,
            json.dumps(
                {
                    "ok": True,
                    "channel": "C123\n::add-mask::anything",
                    "ts": "1.2\r\n::warning::forged",
                }
            ),
            **{"Content-Type": "application/json"},
        )
        result = run_notify(
            tmp_path,
            {"slack-token": "xoxb-1", "slack-api-url": hostile.url, "slack-channel": "#x"},
        )
    finally:
        hostile.stop()
    assert result.code == 0, result.log
    assert forged_commands(result.log) == [], result.log


# -- 5. no mentions through the top-level text ---------------------------------------------


def test_the_title_cannot_mention_the_channel(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    channel_id = slack_emulator.add_channel("#deploys")
    result = run_notify(tmp_path, api(slack_emulator, title="<!here> title & <@U1>"))
    assert result.code == 0, result.log
    (message,) = slack_emulator.messages(channel_id)
    assert message["text"] == "\u2705 &lt;!here&gt; title &amp; &lt;@U1&gt;"
    # The header is plain_text, which Slack shows literally (no mentions there).
    header = message["attachments"][0]["blocks"][0]
    assert header["text"] == {
        "type": "plain_text",
        "text": "\u2705 <!here> title & <@U1>",
        "emoji": True,
    }


# -- 6. slack-payload stays inside the workspace -------------------------------------------


def test_payload_files_outside_the_workspace_are_refused(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("#deploys")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    outside = tmp_path / "outside.json"
    outside.write_text('{"text": "read from outside"}')
    (workspace / "link.json").symlink_to(outside)
    (workspace / "inside.json").write_text('{"text": "read from inside"}')
    for value in ("../outside.json", str(outside), "link.json"):
        result = run_notify(workspace, api(slack_emulator, **{"slack-payload": value}))
        assert result.code == 2, value
        assert "Input 'slack-payload'" in result.log and "outside the workspace" in result.log
    assert slack_emulator.requests == []
    inside = run_notify(
        workspace, api(slack_emulator, **{"slack-payload": str(workspace / "inside.json")})
    )
    assert inside.code == 0, inside.log
    assert [m["text"] for m in slack_emulator.messages()] == ["read from inside"]


# -- 7. malformed URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("webhook-url", "http://127.0.0.1:99999/h?token=SECRETVALUE"),
        ("webhook-url", "http://127.0.0.1:port/h?token=SECRETVALUE"),
        ("webhook-url", "https:///h?token=SECRETVALUE"),
        ("webhook-url", "http://exa mple.com/h?token=SECRETVALUE"),
        ("slack-webhook", "https://hooks.slack.com:99999/services/SECRETVALUE"),
        ("slack-webhook", "ftp://hooks.slack.com/services/SECRETVALUE"),
        ("slack-api-url", "https://slack.com:0x50/api/SECRETVALUE"),
    ],
)
def test_a_malformed_url_is_an_input_error_without_its_value(
    tmp_path: Path, name: str, value: str
) -> None:
    inputs = {name: value}
    if name == "slack-api-url":
        inputs.update({"slack-token": "xoxb-1", "slack-channel": "#x"})
    result = run_notify(tmp_path, inputs)
    assert result.code == 2, result.log
    assert f"Input '{name}'" in result.log
    assert "SECRETVALUE" not in result.visible
    assert "Traceback" not in result.visible
