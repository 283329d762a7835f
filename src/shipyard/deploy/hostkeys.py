"""Host keys: known_hosts lines, SHA256 fingerprints, and what to say when a key is wrong.

Pure: the ssh adapter writes :func:`known_hosts_text` to a 0600 file and runs OpenSSH with
``StrictHostKeyChecking=yes``; this module decides which lines that file holds and explains a
refusal with the line the host really offered (``ssh-keyscan`` format).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shipyard.runtime import ConfigError, InputError

FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}=?$")
KEY_TYPES = re.compile(
    r"(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9-]+@openssh\.com)"
    r"(-cert-v01@openssh\.com)?"
)
MARKERS = ("@cert-authority", "@revoked")
#: known_hosts host patterns: names and addresses (ASCII), [host]:port, globs, negations,
#: comma lists, |1|salt|hash. Nothing else (no control characters, quotes or '%').
PATTERNS = re.compile(r"[A-Za-z0-9._:\[\]*?!,|+/=-]+")


@dataclass(frozen=True)
class KnownHost:
    """One known_hosts line: host patterns (or a hashed name), key type, base64 key."""

    patterns: str
    key_type: str
    key: str
    marker: str = ""  # @cert-authority / @revoked

    @property
    def line(self) -> str:
        """The known_hosts line."""
        return " ".join(p for p in (self.marker, self.patterns, self.key_type, self.key) if p)

    @property
    def fingerprint(self) -> str:
        """The key's SHA256 fingerprint, as ``ssh-keygen -l`` shows it."""
        return fingerprint(self.key)


def host_pattern(host: str, port: int) -> str:
    """How known_hosts names a host: ``host`` on port 22, else ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key_b64: str) -> str:
    """OpenSSH's SHA256 fingerprint of a base64 public key blob."""
    blob = base64.b64decode(key_b64)
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def parse_known_hosts(text: str, *, source: str = "known-hosts") -> list[KnownHost]:
    """Parse known_hosts text (comments and blank lines skipped); InputError on a bad line."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        marker = fields.pop(0) if fields[0].startswith("@") else ""
        if (
            len(fields) < 3
            or not KEY_TYPES.fullmatch(fields[1])
            or not PATTERNS.fullmatch(fields[0])
            or marker not in ("", *MARKERS)
        ):
            raise InputError(
                source,
                f"line {number} is not a known_hosts line ('[@marker] host key-type "
                "base64-key', host patterns in ASCII).",
                hint="Use the output of `ssh-keyscan -p PORT HOST` as it is.",
            )
        try:
            base64.b64decode(fields[2], validate=True)
        except ValueError:
            raise InputError(source, f"line {number}: the key is not valid base64.") from None
        entries.append(KnownHost(fields[0], fields[1], fields[2], marker))
    return entries


def _hashed_match(pattern: str, name: str) -> bool:
    """A ``|1|salt|hash`` entry names ``name`` (HMAC-SHA1 of the name with the salt)."""
    try:
        _, kind, salt, digest = pattern.split("|")
        if kind != "1":
            return False
        mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(mac, base64.b64decode(digest))
    except ValueError:
        return False


def _glob(pattern: str, name: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, name) is not None


def matches(entry: KnownHost, host: str, port: int) -> bool:
    """Whether the entry applies to host:port (as OpenSSH decides, negations included)."""
    name = host_pattern(host, port)
    if entry.patterns.startswith("|"):
        return _hashed_match(entry.patterns, name)
    hit = False
    for pattern in entry.patterns.split(","):
        negated = pattern.startswith("!")
        if _glob(pattern.lstrip("!"), name):
            if negated:
                return False
            hit = True
    return hit


def keys_for(entries: Iterable[KnownHost], host: str, port: int) -> list[KnownHost]:
    """The entries that apply to host:port (revoked keys left out)."""
    return [e for e in entries if e.marker != "@revoked" and matches(e, host, port)]


def parse_fingerprints(lines: Sequence[str]) -> dict[str, str]:
    """``host[:port] SHA256:...`` (or ``host=SHA256:...``) lines -> {host[:port]: fingerprint}."""
    result: dict[str, str] = {}
    for line in lines:
        host, _, value = line.replace("=", " ", 1).partition(" ")
        value = value.strip()
        if not host or not FINGERPRINT.match(value):
            raise InputError(
                "host-fingerprints",
                f"'{line}' is not 'host SHA256:<43 base64 characters>'.",
                hint="Get it on the host with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`.",
            )
        result[host] = value.rstrip("=")
    return result


def pin_from_scan(scanned: Iterable[KnownHost], wanted: str) -> KnownHost | None:
    """The scanned key whose fingerprint is ``wanted`` (None when the host offers no such key)."""
    return next((entry for entry in scanned if entry.fingerprint == wanted), None)


def refusal(host: str, port: int, offered: Sequence[KnownHost], known: Sequence[KnownHost]) -> str:
    """What to tell the user when a host's key is unknown or does not match."""
    name = host_pattern(host, port)
    scan = f"ssh-keyscan -p {port} {host}" if port != 22 else f"ssh-keyscan {host}"
    lines = [
        f"The host key of {name} is {'not the one in known-hosts' if known else 'unknown'}: "
        "the deploy stopped before any command ran on it."
    ]
    if known:
        lines.append(
            "known-hosts expects: " + ", ".join(f"{k.key_type} {k.fingerprint}" for k in known)
        )
    if offered:
        lines.append("The host offered:")
        lines += [f"  {entry.line}   ({entry.fingerprint})" for entry in offered]
    lines.append(
        f"If the host really changed its key, get the line from a trusted network with `{scan}`, "
        "compare its fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the "
        "host, and put it in known-hosts."
    )
    return "\n".join(lines)


def known_hosts_text(entries: Iterable[KnownHost]) -> str:
    """The known_hosts file; every field checked once more as it is written (one line per
    entry, nothing OpenSSH would read as another line, marker or option)."""
    lines = []
    for entry in entries:
        if (
            not PATTERNS.fullmatch(entry.patterns)
            or not KEY_TYPES.fullmatch(entry.key_type)
            or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", entry.key)
            or entry.marker not in ("", *MARKERS)
        ):
            raise ConfigError(
                f"Refusing to write the known_hosts line {entry.line!r}: it is not one plain "
                "'[@marker] host key-type base64-key' line.",
                title="Unsafe known_hosts line",
            )
        lines.append(entry.line + "\n")
    return "".join(lines)
