"""The email itself: attachments from the workspace and the MIME message (text + HTML).

Imported only when email is configured: a Slack-only run never loads the ``email`` package's
MIME machinery nor ``smtplib``.
"""

from __future__ import annotations

import glob
import mimetypes
import os
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr

from shipyard.runtime import InputError

from .workspace import inside_workspace

MAX_ATTACHMENTS_BYTES = 20 * 1024 * 1024


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
            real = inside_workspace("email-attachments", match, root)
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
