"""notify's email channel against a real SMTP server (aiosmtpd) with STARTTLS, TLS and AUTH."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.notify._run import run_notify
from tests.services.plugin_smtp import SMTP_PASSWORD, SMTP_USER
from tests.services.smtp_server import SmtpServer


@pytest.fixture
def trusted_ca(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """Trust the test CA the way a user trusts a private CA: SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.ca_cert))
    return smtp_server


def email_inputs(server: SmtpServer, port: int, **extra: str) -> dict[str, str]:
    return {
        "status": "success",
        "environment": "production",
        "version": "v1.4.2",
        "message": "Deployed **v1.4.2** <script>x</script>\n- item one\n- [docs](https://docs.example)",
        "smtp-server": f"127.0.0.1:{port}",
        "smtp-username": SMTP_USER,
        "smtp-password": SMTP_PASSWORD,
        "email-from": "Deploy Bot <deploy@example.com>",
        "email-to": "ops@example.com, Dev Team <dev@example.com>",
        **extra,
    }


def test_starttls_with_auth_sends_text_and_html(tmp_path: Path, trusted_ca: SmtpServer) -> None:
    result = run_notify(
        tmp_path,
        email_inputs(
            trusted_ca,
            trusted_ca.submission_port,
            **{
                "email-cc": "lead@example.com",
                "email-bcc": "audit@example.com",
                "email-reply-to": "noreply@example.com",
            },
        ),
    )
    assert result.code == 0, result.log
    (mail,) = trusted_ca.wait_for_messages(1)
    assert mail.listener == "submission" and mail.tls and mail.auth_user == SMTP_USER
    assert sorted(mail.rcpt_tos) == sorted(
        ["ops@example.com", "dev@example.com", "lead@example.com", "audit@example.com"]
    )
    message = mail.message
    assert message["Subject"] == "[SUCCESS] Production Deployment Successful (your-org/shop)"
    assert message["Bcc"] is None and b"audit@example.com" not in mail.raw
    assert message["Cc"] == "lead@example.com"
    assert message["Reply-To"] == "noreply@example.com"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert (
        "Version:" in text
        and "v1.4.2" in text
        and "https://github.com/your-org/shop/actions/runs/4242" in text
    )
    assert "<strong>v1.4.2</strong>" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert '<a href="https://docs.example">docs</a>' in html and "<li>item one</li>" in html
    assert result.outputs["email-message-id"] == message["Message-ID"]
    assert result.results == {"Email": "sent"}
    assert "| Email | ✅ sent |" in result.summary and "(STARTTLS)" in result.summary
    assert SMTP_PASSWORD not in result.visible


def test_implicit_tls_is_auto_on_465_style_port_when_asked(
    tmp_path: Path, trusted_ca: SmtpServer
) -> None:
    result = run_notify(
        tmp_path, email_inputs(trusted_ca, trusted_ca.tls_port, **{"smtp-security": "tls"})
    )
    assert result.code == 0, result.log
    (mail,) = trusted_ca.wait_for_messages(1)
    assert mail.listener == "tls" and mail.tls and mail.auth_user == SMTP_USER
    assert "(implicit TLS)" in result.summary


def test_implicit_tls_port_with_starttls_mode_fails_clearly(
    tmp_path: Path, trusted_ca: SmtpServer
) -> None:
    result = run_notify(
        tmp_path,
        email_inputs(
            trusted_ca,
            trusted_ca.tls_port,
            **{"smtp-security": "starttls", "retries": "0", "timeout": "3s"},
        ),
    )
    assert result.code == 0
    assert "failed" in result.results["Email"]
    assert not trusted_ca.messages


def test_credentials_are_never_sent_in_clear_unless_none(
    tmp_path: Path, trusted_ca: SmtpServer
) -> None:
    assert trusted_ca.plain_port is not None
    refused = run_notify(tmp_path / "a", email_inputs(trusted_ca, trusted_ca.plain_port))
    assert "does not offer STARTTLS" in refused.results["Email"]
    assert not trusted_ca.messages
    allowed = run_notify(
        tmp_path / "b", email_inputs(trusted_ca, trusted_ca.plain_port, **{"smtp-security": "none"})
    )
    assert allowed.results == {"Email": "sent"}
    (mail,) = trusted_ca.wait_for_messages(1)
    assert not mail.tls and mail.auth_user == SMTP_USER


def test_untrusted_certificate_is_refused(tmp_path: Path, smtp_server: SmtpServer) -> None:
    result = run_notify(
        tmp_path,
        email_inputs(smtp_server, smtp_server.submission_port, **{"fail-on-error": "true"}),
    )
    assert result.code == 3
    assert "could not be verified" in result.results["Email"]
    assert not smtp_server.messages


def test_auth_failure_is_not_retried_and_fails_with_fail_on_error(
    tmp_path: Path, trusted_ca: SmtpServer
) -> None:
    inputs = email_inputs(trusted_ca, trusted_ca.submission_port, **{"fail-on-error": "true"})
    inputs["smtp-password"] = "wrong password"
    result = run_notify(tmp_path, inputs)
    assert result.code == 3
    assert f"SMTP authentication failed for '{SMTP_USER}': 535" in result.results["Email"]
    assert "retrying" not in result.log
    assert "wrong password" not in result.visible
    assert "::error title=Notification failed::" in result.log


def test_temporary_451_is_retried_then_sent(tmp_path: Path, trusted_ca: SmtpServer) -> None:
    trusted_ca.fail_next(1, code=451, stage="DATA")
    result = run_notify(tmp_path, email_inputs(trusted_ca, trusted_ca.submission_port))
    assert result.results == {"Email": "sent"}, result.log
    assert "answered 451" in result.log
    assert re.search(r"retrying in \d\.\ds \(attempt 2 of 4\)", result.log)
    assert len(trusted_ca.wait_for_messages(1)) == 1


def test_permanent_550_is_not_retried(tmp_path: Path, trusted_ca: SmtpServer) -> None:
    trusted_ca.fail_next(1, code=550, stage="RCPT")
    result = run_notify(tmp_path, email_inputs(trusted_ca, trusted_ca.submission_port))
    assert result.code == 0
    assert result.results["Email"].startswith("failed: SMTP server refused every recipient")
    assert "retrying" not in result.log
    assert result.annotations("warning")


def test_attachments_inside_the_workspace(tmp_path: Path, trusted_ca: SmtpServer) -> None:
    (tmp_path / "reports").mkdir(parents=True)
    (tmp_path / "reports" / "junit.xml").write_text("<testsuite/>")
    (tmp_path / "reports" / "cov.txt").write_text("91%")
    result = run_notify(
        tmp_path,
        email_inputs(
            trusted_ca,
            trusted_ca.submission_port,
            **{"email-attachments": "reports/*.xml\nreports/cov.txt\nmissing/*.log"},
        ),
    )
    assert result.code == 0, result.log
    (mail,) = trusted_ca.wait_for_messages(1)
    assert mail.message.get_content_type() == "multipart/mixed"
    names = sorted(part.get_filename() for part in mail.message.iter_attachments())
    assert names == ["cov.txt", "junit.xml"]
    assert any("missing/*.log" in line for line in result.annotations("warning"))


def test_attachment_outside_the_workspace_is_refused_before_sending(
    tmp_path: Path, trusted_ca: SmtpServer
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "secret.txt").write_text("top secret")
    (workspace / "link.txt").symlink_to(tmp_path / "secret.txt")
    for pattern in ("../secret.txt", str(tmp_path / "secret.txt"), "link.txt"):
        result = run_notify(
            workspace,
            email_inputs(trusted_ca, trusted_ca.submission_port, **{"email-attachments": pattern}),
        )
        assert result.code == 2, pattern
        assert "Input 'email-attachments'" in result.log and "outside the workspace" in result.log
    assert not trusted_ca.messages


@pytest.mark.parametrize(
    ("inputs", "needle"),
    [
        ({"smtp-server": "127.0.0.1:99999"}, "Input 'smtp-server': '99999' is not a port number"),
        (
            {"email-to": "not-an-address"},
            "Input 'email-to': 'not-an-address' is not an email address",
        ),
        ({"email-from": ""}, "Input 'email-from': is required to send email"),
        ({"smtp-security": "ssl"}, "Input 'smtp-security': 'ssl' is not allowed"),
        (
            {"smtp-password": ""},
            "Input 'smtp-password': is required when the other SMTP credential",
        ),
    ],
)
def test_bad_email_inputs_exit_2(
    tmp_path: Path, trusted_ca: SmtpServer, inputs: dict[str, str], needle: str
) -> None:
    result = run_notify(
        tmp_path, {**email_inputs(trusted_ca, trusted_ca.submission_port), **inputs}
    )
    assert result.code == 2
    assert needle in result.log
    assert not trusted_ca.messages


def test_smtp_retries_wait_on_the_runtime_clock(trusted_ca: SmtpServer) -> None:
    from shipyard.notify.mail import build_email
    from shipyard.notify.settings import SmtpEndpoint
    from shipyard.notify.smtp import SmtpSettings, send_email
    from shipyard.runtime import ExternalError, FakeClock

    settings = SmtpSettings(
        SmtpEndpoint("127.0.0.1", trusted_ca.submission_port, "starttls"),
        SMTP_USER,
        SMTP_PASSWORD,
        timeout=10,
        attempts=3,
    )
    message = build_email(
        sender="deploy@example.com",
        to=["ops@example.com"],
        cc=[],
        reply_to="",
        subject="s",
        text="t",
        html="<p>t</p>",
        attachments=[],
    )
    trusted_ca.fail_next(2, code=451, stage="DATA")
    clock, log = FakeClock(), list[str]()
    result = send_email(settings, message, ["ops@example.com"], log=log.append, clock=clock)
    assert result.recipients == 1 and len(trusted_ca.wait_for_messages(1)) == 1
    first, second = clock.sleeps
    assert 0.9 <= first <= 1.1 and 1.8 <= second <= 2.2  # the policy's backoff, with jitter
    assert [line.split(";")[1] for line in log] == [
        f" retrying in {first:.1f}s (attempt 2 of 3)",
        f" retrying in {second:.1f}s (attempt 3 of 3)",
    ]

    trusted_ca.fail_next(3, code=451, stage="DATA")
    with pytest.raises(ExternalError, match=r"answered 451 .* after 3 attempts"):
        send_email(settings, message, ["ops@example.com"], log=log.append, clock=clock)
    assert len(clock.sleeps) == 4
