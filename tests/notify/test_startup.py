"""Start-up is a hot path: a Slack-only run never imports smtplib nor notify's email modules.
Checked in a fresh interpreter (``python -I``), since this test process has them loaded."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.services.slack_emulator import SlackEmulator

EMAIL_MODULES = (
    "smtplib",
    "email.message",
    "email.mime",
    "shipyard.notify.mail",
    "shipyard.notify.smtp",
)


def fresh_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        timeout=120,
        check=False,
    )


def test_importing_notify_loads_no_email_machinery() -> None:
    done = fresh_python(
        "import sys, shipyard.notify.__main__\n"
        f"loaded = [m for m in {EMAIL_MODULES!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "heavy = ('email', 'ssl', 'yaml', 'requests')\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in heavy]\n"
        "assert not heavy, heavy\n"
    )
    assert done.returncode == 0, done.stderr


def test_a_slack_only_run_never_imports_smtplib(slack_emulator: SlackEmulator) -> None:
    url = slack_emulator.add_webhook("#deploys")
    done = fresh_python(
        "import sys\n"
        "from shipyard.notify.__main__ import main\n"
        "code = main([])\n"
        "assert code == 0, code\n"
        "loaded = [m for m in ('smtplib', 'shipyard.notify.mail', 'shipyard.notify.smtp')"
        " if m in sys.modules]\n"
        "assert not loaded, loaded\n",
        env={"SHIPYARD_INPUT_SLACK_WEBHOOK": url, "SHIPYARD_INPUT_STATUS": "success"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(slack_emulator.messages("#deploys")) == 1
