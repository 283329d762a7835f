#!/usr/bin/env python3
"""The demo: start the local Slack emulator and SMTP server, run examples/notify-demo.yml under
act (with `uses: your-org/actions/notify@v1` resolved to this checkout), then show what the
receivers got. Run through scripts/demo.sh, which prepares the environment first."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.e2e.act import ActHarness  # noqa: E402
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator  # noqa: E402
from tests.services.smtp_server import SmtpServer  # noqa: E402

WORKFLOW = ROOT / "examples" / "notify-demo.yml"
SMTP_USER, SMTP_PASSWORD = "demo-bot", "demo-password"


def main() -> int:
    """Run examples/notify-demo.yml under act against the Slack emulator and a real SMTP server, and
    print what each received."""
    work = Path(tempfile.mkdtemp(prefix="shipyard-demo-"))
    with (
        SlackEmulator() as slack,
        SmtpServer(work / "tls", users={SMTP_USER: SMTP_PASSWORD}) as smtp,
    ):
        channel = slack.add_channel("#deploys")
        print(f"Slack emulator:  {slack.api_url}  (channel #deploys = {channel})")
        print(f"SMTP server:     127.0.0.1:{smtp.submission_port} (STARTTLS + AUTH)")
        print(f"Running {WORKFLOW.relative_to(ROOT)} under act ...\n")
        run = ActHarness(workdir=work / "act").run(
            WORKFLOW,
            secrets={"SLACK_BOT_TOKEN": DEFAULT_TOKEN, "SMTP_PASSWORD": SMTP_PASSWORD},
            vars={
                "SLACK_API_URL": slack.api_url,
                "SMTP_SERVER": f"127.0.0.1:{smtp.submission_port}",
                "SMTP_USERNAME": SMTP_USER,
            },
            host_env={"SSL_CERT_FILE": str(smtp.ca_cert)},
        )
        job = run.job("deploy")
        for step in job.steps.values():
            if "/" in step.id:
                continue
            print(f"  step {step.id:<10} {step.outcome:<8} outputs={json.dumps(step.outputs)}")
        print("\nJob summary (captured from act):\n")
        print(job.summary.strip() or "(none)")

        print("\n=== What the Slack emulator received, in order")
        for request in slack.requests:
            body = request.json if request.method == "POST" else None
            text = body.get("text") if isinstance(body, dict) else ""
            print(f"  {request.method} {request.path} -> {request.status}  text={text!r}")
        for message in slack.messages(channel):
            print(f"\n  Message ts={message['ts']} in #deploys now reads: {message['text']!r}")
            for old in message.get("history", []):
                print(f"    (was: {old.get('text')!r})")

        print("\n=== What the SMTP server received")
        for mail in smtp.messages:
            print(
                f"  From {mail.mail_from} to {', '.join(mail.rcpt_tos)} via {mail.listener} "
                f"(TLS: {mail.tls}, AUTH as {mail.auth_user})"
            )
            print(f"  Subject: {mail.message['Subject']}")
            print(
                "  " + mail.message.get_body(("plain",)).get_content().strip().replace("\n", "\n  ")
            )
        ok = run.ok and len(smtp.messages) == 1 and len(slack.messages(channel)) == 1
    print("\nDemo " + ("succeeded." if ok else "FAILED: see above."))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
