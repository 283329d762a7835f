"""notify's Slack channel against the Slack emulator: webhook, token, update, thread, payloads,
faults. The emulator itself is proven against slack_sdk in tests/services."""

from __future__ import annotations

from pathlib import Path

from tests.notify._run import run_notify
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator


def api(emulator: SlackEmulator, **extra: str) -> dict[str, str]:
    return {"slack-token": DEFAULT_TOKEN, "slack-api-url": emulator.api_url, **extra}


def test_webhook_posts_the_default_block_kit_message(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#deploys")
    result = run_notify(
        tmp_path,
        {
            "slack-webhook": url,
            "status": "success",
            "environment": "production",
            "version": "v1.4.2",
            "message": "All **green**",
        },
    )
    assert result.code == 0, result.log
    (message,) = slack_emulator.messages("#deploys")
    assert message["text"] == "\u2705 Production Deployment Successful"
    attachment = message["attachments"][0]
    assert attachment["color"] == "#2eb886"
    header, body, fields, actions, _context = attachment["blocks"]
    assert header["text"]["text"] == "\u2705 Production Deployment Successful"
    assert body["text"]["text"] == "All *green*"
    assert "*Version*\nv1.4.2" in [f["text"] for f in fields["fields"]]
    assert actions["elements"][-1]["url"] == "https://github.com/your-org/shop/actions/runs/4242"
    assert result.results == {"Slack (webhook)": "sent"}
    assert "slack-ts" not in result.outputs  # webhooks return no message id
    secret_part = url.rsplit("/", 1)[1]
    assert secret_part not in result.visible
    assert result.log.splitlines()[0].startswith("::add-mask::")


def test_token_post_then_update_started_to_success(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    channel_id = slack_emulator.add_channel("#deploys")
    started = run_notify(
        tmp_path / "1",
        api(
            slack_emulator,
            **{"slack-channel": "#deploys", "status": "started", "environment": "staging"},
        ),
    )
    assert started.code == 0, started.log
    assert started.outputs["slack-channel"] == channel_id
    ts = started.outputs["slack-ts"]
    assert slack_emulator.message(channel_id, ts)["text"] == "\U0001f680 Staging Deployment Started"

    done = run_notify(
        tmp_path / "2",
        api(
            slack_emulator,
            **{"slack-channel": channel_id, "slack-update-ts": ts, "environment": "staging"},
        ),
    )
    assert done.code == 0, done.log
    assert done.outputs["slack-ts"] == ts
    updated = slack_emulator.message(channel_id, ts)
    assert updated["text"] == "\u2705 Staging Deployment Successful"
    assert len(slack_emulator.messages(channel_id)) == 1
    assert "updated: channel" in done.summary
    calls = [r.path for r in slack_emulator.requests]
    assert calls == ["/api/chat.postMessage", "/api/chat.update"]
    assert slack_emulator.requests[0].header("Authorization") == f"Bearer {DEFAULT_TOKEN}"
    assert DEFAULT_TOKEN not in started.visible + done.visible


def test_thread_reply(tmp_path: Path, slack_emulator: SlackEmulator) -> None:
    channel_id = slack_emulator.add_channel("#deploys")
    parent = slack_emulator.post_message(channel_id, "Release train leaves")
    result = run_notify(
        tmp_path,
        api(
            slack_emulator,
            **{
                "slack-channel": "deploys",
                "slack-thread-ts": parent,
                "status": "success",
                "title": "Step 1 done",
            },
        ),
    )
    assert result.code == 0, result.log
    (reply,) = slack_emulator.thread(channel_id, parent)
    assert reply["text"] == "\u2705 Step 1 done"
    assert "replied in thread" in result.summary


def test_custom_yaml_payload_file_with_templating(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    channel_id = slack_emulator.add_channel("#deploys")
    (tmp_path / ".github").mkdir(parents=True)
    (tmp_path / ".github" / "slack.yml").write_text(
        "text: '{{ inputs.title }}: {{ github.repository }}@{{ github.short_sha }}'\n"
        "blocks:\n"
        "  - type: section\n"
        "    text: {type: mrkdwn, text: 'host {{ env.DEPLOY_HOST }} by {{ github.actor }}'}\n"
    )
    result = run_notify(
        tmp_path,
        api(
            slack_emulator,
            **{
                "slack-channel": "#deploys",
                "slack-payload": ".github/slack.yml",
                "template-env": "DEPLOY_HOST",
                "title": 'Shipped "v2"',
            },
        ),
        DEPLOY_HOST="web-1",
    )
    assert result.code == 0, result.log
    (message,) = slack_emulator.messages(channel_id)
    assert message["text"] == 'Shipped "v2": your-org/shop@0123456'
    assert message["blocks"][0]["text"]["text"] == "host web-1 by alice"


def test_malformed_payload_exits_2_with_line_and_column_and_sends_nothing(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("#deploys")
    result = run_notify(
        tmp_path,
        api(
            slack_emulator,
            **{
                "slack-channel": "#deploys",
                "slack-payload": '{\n  "text": "hi",\n  "blocks": [}\n}',
            },
        ),
    )
    assert result.code == 2
    assert "Input 'slack-payload': invalid JSON at line 3, column 14" in result.log
    assert slack_emulator.requests == []


def test_429_with_retry_after_then_success(tmp_path: Path, slack_emulator: SlackEmulator) -> None:
    channel_id = slack_emulator.add_channel("#deploys")
    slack_emulator.fail_next(1, 429, retry_after=1, path="/api/chat.postMessage")
    result = run_notify(tmp_path, api(slack_emulator, **{"slack-channel": "#deploys"}))
    assert result.code == 0
    assert result.results == {"Slack (Web API)": "sent"}
    assert "answered HTTP 429; retrying in 1.0s (attempt 2 of 4)" in result.log
    assert len(slack_emulator.messages(channel_id)) == 1


def test_5xx_exhausted_is_a_warning_by_default(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#deploys")
    slack_emulator.fail_next(2, 503)
    result = run_notify(tmp_path, {"slack-webhook": url, "retries": "1"})
    assert result.code == 0
    assert result.results["Slack (webhook)"].startswith("failed: Slack webhook answered HTTP 503")
    (warning,) = result.annotations("warning")
    assert warning.startswith("::warning title=Slack (webhook) failed::")
    assert "| Slack (webhook) | ❌ failed |" in result.summary
    assert len(slack_emulator.requests) == 2
    assert url.rsplit("/", 1)[1] not in result.visible


def test_5xx_exhausted_with_fail_on_error_exits_3(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#deploys")
    slack_emulator.fail_next(2, 502)
    result = run_notify(tmp_path, {"slack-webhook": url, "retries": "1", "fail-on-error": "true"})
    assert result.code == 3
    assert (
        "::error title=Notification failed::1 of 1 channel(s) failed: Slack (webhook)" in result.log
    )


def test_slack_api_errors_are_explained(tmp_path: Path, slack_emulator: SlackEmulator) -> None:
    result = run_notify(
        tmp_path,
        api(slack_emulator, **{"slack-channel": "#nowhere", "fail-on-error": "true"}),
    )
    assert result.code == 3
    assert (
        "Slack chat.postMessage failed: channel_not_found. Check slack-channel"
        in result.results["Slack (Web API)"]
    )
    bad_token = run_notify(
        tmp_path / "b",
        {**api(slack_emulator, **{"slack-channel": "#x"}), "slack-token": "xoxb-wrong"},
    )
    assert "invalid_auth" in bad_token.results["Slack (Web API)"]
    assert "xoxb-wrong" not in bad_token.visible


def test_update_with_a_channel_name_is_refused_before_sending(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    result = run_notify(
        tmp_path,
        api(
            slack_emulator, **{"slack-channel": "#deploys", "slack-update-ts": "1700000000.000100"}
        ),
    )
    assert result.code == 2
    assert "Input 'slack-channel': '#deploys' is a channel name" in result.log
    assert slack_emulator.requests == []


def test_every_channel_in_one_step_and_one_failure_does_not_stop_the_others(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    from tests.services.scripted_http import ScriptedHttpServer

    hook = ScriptedHttpServer().start()
    try:
        hook.default.status = 500
        url = slack_emulator.add_webhook("#deploys")
        result = run_notify(
            tmp_path, {"slack-webhook": url, "webhook-url": hook.url + "/hook", "retries": "0"}
        )
    finally:
        hook.stop()
    assert result.code == 0
    assert result.results == {
        "Slack (webhook)": "sent",
        "Webhook": "failed: Webhook answered HTTP 500.",
    }
    assert len(slack_emulator.messages("#deploys")) == 1


def test_generic_webhook_gets_the_json(tmp_path: Path) -> None:
    from tests.services.scripted_http import ScriptedHttpServer

    hook = ScriptedHttpServer().start()
    try:
        hook.answer(204, b"")
        result = run_notify(
            tmp_path,
            {
                "webhook-url": hook.url + "/in/s3cret",
                "status": "failure",
                "version": "1.0",
                "links": "Logs=https://logs.example/x",
            },
        )
    finally:
        hook.stop()
    assert result.code == 0, result.log
    body = hook.requests[0].json()
    assert body["status"] == "failure" and body["version"] == "1.0"
    assert body["links"][0] == {"label": "Logs", "url": "https://logs.example/x"}
    assert "s3cret" not in result.visible
    assert result.results == {"Webhook": "sent"}


def test_no_channel_and_conflicting_inputs_exit_2(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    nothing = run_notify(tmp_path / "a", {"status": "success"})
    assert nothing.code == 2 and "No channel is configured" in nothing.log
    both = run_notify(
        tmp_path / "b", {"slack-webhook": "https://hooks.example/x", **api(slack_emulator)}
    )
    assert both.code == 2 and "Both slack-webhook and slack-token are set" in both.log
    orphan = run_notify(tmp_path / "c", {"slack-channel": "#x", "webhook-url": "https://x.example"})
    assert orphan.code == 2
    assert (
        "Input 'slack-channel': is set, but neither slack-webhook nor slack-token is" in orphan.log
    )
    assert slack_emulator.requests == []
