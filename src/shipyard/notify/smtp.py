"""Email over SMTP with the right TLS mode, and the message it sends.

Modes: ``tls`` (implicit TLS, port 465), ``starttls`` (STARTTLS required, port 587), ``none``
(plain text, port 25; the only mode that may send credentials unencrypted) and ``auto``
(implicit TLS on 465, STARTTLS elsewhere; without STARTTLS on the server, credentials are
refused and mail without credentials goes out with a warning). Certificates are verified
against the system store (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` point to a private CA).
"""

from __future__ import annotations

import glob
import mimetypes
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr

from shipyard.runtime import ConfigError, ExternalError, InputError, neutralize

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25, "auto": 587}
MAX_ATTACHMENTS_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    attempts: int = 4


@dataclass(frozen=True)
class EmailResult:
    message_id: str
    recipients: int
    encryption: str
    refused: tuple[str, ...] = ()


def parse_server(value: str, security: str) -> tuple[str, int, str]:
    """``host``, ``host:port`` or ``[v6]:port`` -> host, port, effective security mode."""
    host, port_text = value.strip(), ""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise InputError("smtp-server", f"'{value}' has an unclosed '['.")
        host, rest = host[1:end], host[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else ""
    elif host.count(":") == 1:
        host, port_text = host.split(":")
    if not host:
        raise InputError("smtp-server", f"'{value}' has no host name.")
    port = DEFAULT_PORTS[security]
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InputError("smtp-server", f"'{port_text}' is not a port number.")
        port = int(port_text)
    mode = security
    if security == "auto":
        mode = "tls" if port == 465 else "starttls-opportunistic"
    return host, port, mode


def check_addresses(name: str, values: Sequence[str]) -> list[str]:
    """Each value must be an address (optionally with a display name)."""
    addresses = []
    for value in values:
        if "\n" in value or "\r" in value:
            raise InputError(name, "an address contains a line break.")
        _, address = parseaddr(value)
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise InputError(name, f"'{value}' is not an email address.")
        addresses.append(value)
    return addresses


def resolve_attachments(
    patterns: Sequence[str], workspace: str, warn: Callable[[str], None]
) -> list[str]:
    """Files matching the globs, each inside the workspace (links resolved); else refused."""
    root = os.path.realpath(workspace or os.getcwd())
    files: list[str] = []
    total = 0
    for pattern in patterns:
        full = pattern if os.path.isabs(pattern) else os.path.join(root, pattern)
        matches = sorted(glob.glob(full, recursive=True))
        if not matches:
            warn(f"email-attachments: '{pattern}' matches no file; nothing attached for it.")
        for match in matches:
            real = os.path.realpath(match)
            if os.path.commonpath([root, real]) != root:
                raise InputError(
                    "email-attachments",
                    f"'{pattern}' resolves to '{real}', outside the workspace '{root}'.",
                )
            if not os.path.isfile(real) or real in files:
                continue
            total += os.path.getsize(real)
            files.append(real)
    if total > MAX_ATTACHMENTS_BYTES:
        raise InputError(
            "email-attachments",
            f"the files add up to {total / 1048576:.1f} MiB; the limit is "
            f"{MAX_ATTACHMENTS_BYTES // 1048576} MiB (most servers refuse larger mail).",
        )
    return files


def build_email(
    *,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str],
    reply_to: str,
    subject: str,
    text: str,
    html: str,
    attachments: Sequence[str],
) -> EmailMessage:
    """multipart/alternative (text + HTML), inside multipart/mixed when files are attached.
    Bcc recipients are never written into the headers."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["X-Mailer"] = "shipyard notify"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for path in attachments:
        ctype, encoding = mimetypes.guess_type(path)
        if ctype is None or encoding is not None:
            ctype = "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        with open(path, "rb") as handle:
            data = handle.read()
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=os.path.basename(path)
        )
    return message


def envelope_recipients(*groups: Sequence[str]) -> list[str]:
    """Bare addresses of every recipient (To, Cc, Bcc), without duplicates."""
    seen: list[str] = []
    for _, address in getaddresses([value for group in groups for value in group]):
        if address and address.lower() not in (known.lower() for known in seen):
            seen.append(address)
    return seen


class _Permanent(Exception):
    """An SMTP failure that retrying cannot fix."""


def _open(settings: SmtpSettings, context: ssl.SSLContext) -> tuple[smtplib.SMTP, str]:
    """Connect and secure the session as the mode says; return it and how it is encrypted."""
    if settings.security == "tls":
        return (
            smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            ),
            "implicit TLS",
        )
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        client.ehlo()
        if settings.security == "none":
            return client, "none"
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
            return client, "STARTTLS"
        if settings.security == "starttls" or settings.username:
            raise _Permanent(
                f"{settings.host}:{settings.port} does not offer STARTTLS, so credentials would "
                "travel in clear text. Use smtp-security: tls (port 465) if the server speaks "
                "implicit TLS, or smtp-security: none only on a trusted network."
            )
        return client, "none (the server offers no STARTTLS)"
    except BaseException:
        client.close()
        raise


def send_email(
    settings: SmtpSettings,
    message: EmailMessage,
    recipients: Sequence[str],
    *,
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> EmailResult:
    """Send with retries on connection errors and 4xx answers; 5xx and auth errors are final."""
    if settings.username and not settings.password:
        raise ConfigError("smtp-username is set but smtp-password is empty.")
    context = ssl.create_default_context()
    sender = parseaddr(str(message["From"]))[1]
    problem = ""
    for attempt in range(1, settings.attempts + 1):
        try:
            client, encryption = _open(settings, context)
            try:
                if settings.username:
                    client.login(settings.username, settings.password)
                refused = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
            finally:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()
            return EmailResult(
                message_id=str(message["Message-ID"]),
                recipients=len(recipients) - len(refused),
                encryption=encryption,
                refused=tuple(sorted(refused)),
            )
        except _Permanent as exc:
            raise ExternalError(str(exc)) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ExternalError(
                f"SMTP authentication failed for '{settings.username}': {exc.smtp_code} "
                f"{_text(exc.smtp_error)}",
                hint="Check smtp-username and smtp-password.",
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ExternalError(f"SMTP server does not support a needed command: {exc}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            problem = "refused every recipient: " + ", ".join(
                f"{rcpt} ({code} {_text(text)})" for rcpt, (code, text) in exc.recipients.items()
            )
            if not all(400 <= code < 500 for code in codes):
                raise ExternalError(f"SMTP server {problem}") from None
        except smtplib.SMTPResponseException as exc:
            problem = f"answered {exc.smtp_code} {_text(exc.smtp_error)}"
            if not 400 <= exc.smtp_code < 500:
                raise ExternalError(f"SMTP server {problem}") from None
        except ssl.SSLCertVerificationError as exc:
            raise ExternalError(
                f"The certificate of {settings.host}:{settings.port} could not be verified: "
                f"{exc.verify_message}.",
                hint="Point SSL_CERT_FILE at the CA bundle that signed the server's certificate.",
            ) from None
        except ssl.SSLError as exc:
            raise ExternalError(
                f"TLS with {settings.host}:{settings.port} failed: {exc.reason or exc}. Does the "
                "port speak implicit TLS (465) or STARTTLS (587)? Check smtp-security."
            ) from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError) as exc:
            problem = f"connection failed: {_describe_os_error(exc)}"
        if attempt < settings.attempts:
            delay = min(30.0, 2.0 ** (attempt - 1))
            log(
                f"SMTP {settings.host}:{settings.port} {problem}; retrying in {delay:.0f}s "
                f"(attempt {attempt + 1} of {settings.attempts})"
            )
            sleep(delay)
    raise ExternalError(
        f"SMTP {settings.host}:{settings.port} {problem} after {settings.attempts} attempts."
    )


def _text(value: bytes | str) -> str:
    """A server's reply as one line that cannot issue workflow commands."""
    return neutralize(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))


def _describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
