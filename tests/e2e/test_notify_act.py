"""notify end to end: workflows under act with `uses: your-org/actions/notify@v1`, against the
Slack emulator and the real SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.act import ActHarness
from tests.services.plugin_smtp import SMTP_PASSWORD, SMTP_USER
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator
from tests.services.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "notify-demo.yml"


def test_demo_workflow_started_updated_to_success_and_email(
    act: ActHarness, slack_emulator: SlackEmulator, smtp_server: SmtpServer
) -> None:
    channel_id = slack_emulator.add_channel("#deploys")
    run = act(
        DEMO,
        secrets={"SLACK_BOT_TOKEN": DEFAULT_TOKEN, "SMTP_PASSWORD": SMTP_PASSWORD},
        vars={
            "SLACK_API_URL": slack_emulator.api_url,
            "SMTP_SERVER": f"127.0.0.1:{smtp_server.submission_port}",
            "SMTP_USERNAME": SMTP_USER,
        },
        host_env={"SSL_CERT_FILE": str(smtp_server.ca_cert)},
    )
    run.raise_for_failure()
    started = run.step("deploy", "started")
    done = run.step("deploy", "done")
    assert started.outcome == done.outcome == "success"
    ts = started.outputs["slack-ts"]
    assert started.outputs["slack-channel"] == channel_id
    assert done.outputs["slack-ts"] == ts

    (message,) = slack_emulator.messages(channel_id)
    assert message["text"] == "\u2705 Production Deployment Successful"
    assert message["history"][0]["text"] == "\U0001f680 Production Deployment Started"

    (mail,) = smtp_server.wait_for_messages(1)
    assert mail.tls and mail.auth_user == SMTP_USER
    assert mail.message["Subject"] == "[SUCCESS] Production Deployment Successful (your-org/app)"
    assert done.outputs["email-message-id"] == mail.message["Message-ID"]

    assert "| Email | ✅ sent |" in done.summary
    everything = run.text + run.summary + str([s.outputs for s in run.job("deploy").steps.values()])
    assert DEFAULT_TOKEN not in everything and SMTP_PASSWORD not in everything


def test_status_defaults_to_the_failed_job_status(
    act: ActHarness, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#alerts")
    workflow = """
name: fails
on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
      - if: always()
        uses: your-org/actions/notify@v1
        with:
          slack-webhook: ${{ secrets.HOOK }}
"""
    run = act(workflow, secrets={"HOOK": url})
    assert run.job("build").result == "failure"
    (message,) = slack_emulator.messages("#alerts")
    assert message["text"] == "\u274c fails Failed"


@pytest.mark.parametrize(
    ("with_block", "needle"),
    [
        ("retries: many", "Input 'retries': 'many' is not a whole number"),
        ("fail-on-error: yes", "Input 'fail-on-error': 'yes' is not a boolean"),
        ("status: success", "No channel is configured"),
    ],
)
def test_bad_input_fails_the_step_with_an_annotation(
    act: ActHarness, with_block: str, needle: str
) -> None:
    workflow = f"""
name: bad input
on: push
permissions: {{}}
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - id: bad
        continue-on-error: true
        uses: your-org/actions/notify@v1
        with:
          {with_block}
      - id: verdict
        env:
          OUTCOME: ${{{{ steps.bad.outcome }}}}
        run: test "$OUTCOME" = failure
"""
    run = act(workflow)
    assert run.step("check", "bad").outcome == "failure"
    assert run.step("check", "verdict").outcome == "success"
    errors = [a for a in run.annotations if a.level == "error"]
    assert any(needle in a.message for a in errors), [a.message for a in errors]
    assert "Traceback" not in run.text


def test_failed_channel_fails_the_step_only_with_fail_on_error(
    act: ActHarness, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#alerts")
    slack_emulator.fail_next(10, 503)
    workflow = """
name: outage
on: push
permissions: {}
jobs:
  n:
    runs-on: ubuntu-latest
    steps:
      - id: lenient
        uses: your-org/actions/notify@v1
        with:
          slack-webhook: ${{ secrets.HOOK }}
          retries: 0
      - id: strict
        continue-on-error: true
        uses: your-org/actions/notify@v1
        with:
          slack-webhook: ${{ secrets.HOOK }}
          retries: 0
          fail-on-error: true
"""
    run = act(workflow, secrets={"HOOK": url})
    assert run.step("n", "lenient").outcome == "success"
    assert run.step("n", "strict").outcome == "failure"
    assert (
        '"Slack (webhook)":"failed: Slack webhook answered HTTP 503'
        in run.step("n", "lenient").outputs["results"]
    )
    warnings = [a for a in run.annotations if a.level == "warning"]
    assert warnings and all(url not in a.message for a in warnings)
