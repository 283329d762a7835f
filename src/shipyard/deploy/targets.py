"""Where to deploy: host names, IP literals, ports and SSH users, validated (pure).

Each of these values is written into the generated ssh_config (``HostName``, ``Port``,
``User``) and the host name is given to ``ssh-keyscan``. Only what is unmistakably a host name
(IDNA labels, given to OpenSSH in their ASCII form), an IP literal, a port or a POSIX user name
passes: nothing ssh_config would read as another option, a ``%`` token or a quote, nothing a
tool would read as an option (a leading ``-``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from shipyard.runtime import InputError

#: A POSIX user name: the portable filename characters, not starting with '-' (nor '.' or a
#: digit, as useradd wants), at most 32 characters.
USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")
#: One ASCII label of a host name: 1-63 letters, digits, '-' (not first or last); '_' is
#: tolerated (hosts files and container networks use it).
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}")
_TARGET = re.compile(
    r"(?:(?P<name>[^=@]*)=)?(?:(?P<user>[^@]*)@)?"
    r"(?P<host>\[[^\]]*\]|[^:@\[\]]*)(?::(?P<port>[^:]*))?"
)
FORM = "'host', 'host:port' or 'name=[user@]host[:port]'"


@dataclass(frozen=True)
class Target:
    """One host to deploy to."""

    name: str  # how the report names it
    host: str  # ASCII: a host name (IDNA labels encoded), an IPv4 or an IPv6 address
    port: int = 22
    user: str = ""

    @property
    def address(self) -> str:
        return self.host if self.port == 22 else f"{self.host}:{self.port}"


def shown(value: str) -> str:
    """A value quoted for a message; control characters and the like made visible."""
    return f"'{value}'" if value.isprintable() else repr(value)


def check_user(value: str, field: str = "user") -> str:
    """``value`` when it is a POSIX user name, else InputError naming ``field``."""
    if not USER.fullmatch(value):
        raise InputError(
            field,
            f"{shown(value)} is not a user name (letters, digits, '_', '.', '-'; starting "
            "with a letter or '_'; up to 32).",
        )
    return value


def _ascii_label(label: str) -> str | None:
    """The label as OpenSSH is given it (IDNA A-label for a non-ASCII one), None if invalid."""
    if not label.isascii():
        import idna  # requests' own dependency

        try:
            # Case aside, the label must already be in its IDNA form: a mapping that would
            # drop or change characters (a zero-width space, full-width letters) is refused.
            if idna.uts46_remap(label, std3_rules=True, transitional=False) != label.lower():
                return None
            label = idna.encode(label.lower()).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    elif label[:4].lower() == "xn--":
        import idna

        try:
            idna.decode(label)
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    return label if _LABEL.fullmatch(label) else None


def host_name(text: str) -> str | None:
    """The ASCII form of a host name, ``[IPv6]`` literal (returned without brackets) or IPv4
    address; None when ``text`` is none of these (so also for anything starting with '-')."""
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1]
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            return None
        return inner if "%" not in inner else None  # no zone id: '%' is an ssh_config token
    if re.fullmatch(r"[0-9.]+", text):
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            return None
    if not text or len(text) > 253:
        return None
    labels = [_ascii_label(label) if label else None for label in text.split(".")]
    if any(label is None for label in labels):
        return None
    name = ".".join(label for label in labels if label)
    if len(name) > 253 or name.rsplit(".", 1)[-1].isdigit():
        return None
    return name


def parse_target(text: str, default_user: str, field: str = "hosts") -> Target:
    """One ``[name=][user@]host[:port]``; InputError naming ``field`` when any part is bad."""
    value = text.strip()
    match = _TARGET.fullmatch(value)
    if not match:
        raise InputError(field, f"{shown(text)} is not {FORM}.")
    name, user, port_text = match["name"], match["user"], match["port"]
    host = host_name(match["host"])
    if host is None:
        raise InputError(
            field,
            f"{shown(text)}: {shown(match['host'])} is not a host name (IDNA labels of "
            "letters, digits and '-'), an IPv4 address or an [IPv6] literal.",
        )
    if name is not None and not _NAME.fullmatch(name):
        raise InputError(field, f"{shown(text)}: the name {shown(name)} is not a host label.")
    if user is not None:
        check_user(user, field)
    port = 22
    if port_text is not None:
        if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 0 < int(port_text) < 65536:
            raise InputError(field, f"{shown(text)}: the port must be a number 1-65535.")
        port = int(port_text)
    target = Target("", host, port, user or default_user)
    return Target(name or target.address, host, port, target.user)


def parse_targets(lines: Sequence[str], default_user: str) -> list[Target]:
    targets = [parse_target(line, default_user) for line in lines if line.strip()]
    if not targets:
        raise InputError("hosts", "lists no host.")
    names = [t.name for t in targets]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError("hosts", f"'{duplicate}' is listed twice.")
    return targets
