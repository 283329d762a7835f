"""Email over SMTP with the right TLS mode (the adapter to the mail server).

Modes: ``tls`` (implicit TLS, port 465), ``starttls`` (STARTTLS required, port 587), ``none``
(plain text, port 25; the only mode that may send credentials unencrypted) and
``starttls-opportunistic`` (``auto`` on a port other than 465: without STARTTLS on the server,
credentials are refused and mail without credentials goes out with a warning). Certificates
are verified against the system store (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` point to a private
CA). Connection errors and 4xx answers are retried through the runtime's ``retry_call``; 5xx
answers and authentication errors are final.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from shipyard.runtime import (
    SYSTEM_CLOCK,
    Clock,
    ExternalError,
    Retryable,
    RetryPolicy,
    neutralize,
    retry_call,
)

from .settings import SmtpEndpoint


@dataclass(frozen=True)
class SmtpSettings:
    """What sending needs: the server (host, port, TLS mode), the credentials, the timeout and the
    number of attempts."""

    endpoint: SmtpEndpoint
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    attempts: int = 4

    @property
    def where(self) -> str:
        """``host:port``, for messages."""
        return f"{self.endpoint.host}:{self.endpoint.port}"


@dataclass(frozen=True)
class EmailResult:
    """A sent e-mail: its Message-ID, how many recipients took it, the encryption used, who was
    refused."""

    message_id: str
    recipients: int
    encryption: str
    refused: tuple[str, ...] = ()


class _Permanent(Exception):
    """An SMTP failure that retrying cannot fix."""


def send_email(
    settings: SmtpSettings,
    message: EmailMessage,
    recipients: Sequence[str],
    *,
    log: Callable[[str], None],
    clock: Clock = SYSTEM_CLOCK,
) -> EmailResult:
    """Send, retrying connection errors and 4xx answers; raise ExternalError when it fails."""
    policy = RetryPolicy(attempts=settings.attempts, base_delay=1.0, max_delay=30.0)
    try:
        return retry_call(
            lambda: _send_once(settings, message, recipients),
            policy=policy,
            clock=clock,
            log=log,
            what=f"SMTP {settings.where}",
        )
    except Retryable as exc:
        raise ExternalError(
            f"SMTP {settings.where} {exc.reason} after {settings.attempts} attempts."
        ) from None


def _send_once(
    settings: SmtpSettings, message: EmailMessage, recipients: Sequence[str]
) -> EmailResult:
    sender = parseaddr(str(message["From"]))[1]
    try:
        client, encryption = _open(settings, ssl.create_default_context())
        try:
            if settings.username:
                client.login(settings.username, settings.password)
            refused = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except (smtplib.SMTPException, OSError, _Permanent) as exc:
        raise _classify(exc, settings) from None
    return EmailResult(
        message_id=str(message["Message-ID"]),
        recipients=len(recipients) - len(refused),
        encryption=encryption,
        refused=tuple(sorted(refused)),
    )


def _open(settings: SmtpSettings, context: ssl.SSLContext) -> tuple[smtplib.SMTP, str]:
    """Connect and secure the session as the mode says; return it and how it is encrypted."""
    host, port, security = settings.endpoint
    if security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=settings.timeout, context=context
        )
        return client, "implicit TLS"
    client = smtplib.SMTP(host, port, timeout=settings.timeout)
    try:
        client.ehlo()
        if security == "none":
            return client, "none"
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
            return client, "STARTTLS"
        if security == "starttls" or settings.username:
            raise _Permanent(
                f"{settings.where} does not offer STARTTLS, so credentials would travel in "
                "clear text. Use smtp-security: tls (port 465) if the server speaks implicit "
                "TLS, or smtp-security: none only on a trusted network."
            )
        return client, "none (the server offers no STARTTLS)"
    except BaseException:
        client.close()
        raise


def _classify(exc: BaseException, settings: SmtpSettings) -> Exception:
    """The error to raise for one failed attempt: Retryable (temporary) or ExternalError."""
    if isinstance(exc, _Permanent):
        return ExternalError(str(exc))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return ExternalError(
            f"SMTP authentication failed for '{settings.username}': {exc.smtp_code} "
            f"{_text(exc.smtp_error)}",
            hint="Check smtp-username and smtp-password.",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ExternalError(f"SMTP server does not support a needed command: {_text(str(exc))}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        problem = "refused every recipient: " + ", ".join(
            f"{rcpt} ({code} {_text(text)})" for rcpt, (code, text) in exc.recipients.items()
        )
        temporary = all(400 <= code < 500 for code, _ in exc.recipients.values())
        return Retryable(problem) if temporary else ExternalError(f"SMTP server {problem}")
    if isinstance(exc, smtplib.SMTPResponseException):
        problem = f"answered {exc.smtp_code} {_text(exc.smtp_error)}"
        temporary = 400 <= exc.smtp_code < 500
        return Retryable(problem) if temporary else ExternalError(f"SMTP server {problem}")
    return _classify_connection(exc, settings)


def _classify_connection(exc: BaseException, settings: SmtpSettings) -> Exception:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ExternalError(
            f"The certificate of {settings.where} could not be verified: {exc.verify_message}.",
            hint="Point SSL_CERT_FILE at the CA bundle that signed the server's certificate.",
        )
    if isinstance(exc, ssl.SSLError):
        return ExternalError(
            f"TLS with {settings.where} failed: {exc.reason or exc}. Does the port speak "
            "implicit TLS (465) or STARTTLS (587)? Check smtp-security."
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return Retryable("connection failed: timed out")
    if isinstance(exc, OSError) and exc.strerror:
        return Retryable(f"connection failed: {exc.strerror}")
    return Retryable(f"connection failed: {_text(str(exc)) or type(exc).__name__}")


def _text(value: bytes | str) -> str:
    """A server's reply as one line that cannot issue workflow commands."""
    return neutralize(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
