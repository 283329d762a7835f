"""Where to deploy: host names, IP literals, ports and SSH users, validated (pure).

Each of these values is written into the generated ssh_config (``HostName``, ``Port``,
``User``) and the host name is given to ``ssh-keyscan``. The runtime's address checks decide
(:mod:`shipyard.runtime.network`, ``strict``: a host name in its exact IDNA form, given to
OpenSSH in ASCII, an IP literal, a port, a POSIX user name), so nothing ssh_config would read
as another option, a ``%`` token or a quote passes, nor anything a tool would read as an
option (a leading ``-``). This module adds the ``[name=][user@]host[:port]`` form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from shipyard.runtime import InputError
from shipyard.runtime.network import AddressError, split_host_port, user_name_problem

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}")
_TARGET = re.compile(r"(?:(?P<name>[^=@]*)=)?(?:(?P<user>[^@]*)@)?(?P<address>.*)", re.DOTALL)
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
        """``host`` on port 22, else ``host:port`` (how the report names an unnamed host)."""
        return self.host if self.port == 22 else f"{self.host}:{self.port}"


def shown(value: str) -> str:
    """A value quoted for a message; control characters and the like made visible."""
    return f"'{value}'" if value.isprintable() else repr(value)


def check_user(value: str, field: str = "user") -> str:
    """``value`` when it is a POSIX user name, else InputError naming ``field``."""
    problem = user_name_problem(value)
    if problem:
        raise InputError(field, f"{shown(value)} {problem}.")
    return value


def _address(text: str, address: str, field: str) -> tuple[str, int]:
    """``host[:port]`` (an IPv6 address in brackets) -> (ASCII host, port)."""
    if address.startswith("[") or address.count(":") <= 1:
        try:
            host, port = split_host_port(address, strict=True)
        except AddressError as exc:
            reason = str(exc)
            if reason.startswith("'"):  # the port
                message = f"{shown(text)}: the port must be a number 1-65535."
                raise InputError(field, message) from None
            raise InputError(
                field,
                f"{shown(text)}: {shown(address)} is not a host name (IDNA labels of letters, "
                f"digits and '-'), an IPv4 address or an [IPv6] literal: it {reason}.",
            ) from None
        return host, 22 if port is None else port
    raise InputError(field, f"{shown(text)}: an IPv6 address goes in brackets ([v6] or [v6]:port).")


def parse_target(text: str, default_user: str, field: str = "hosts") -> Target:
    """One ``[name=][user@]host[:port]``; InputError naming ``field`` when any part is bad."""
    match = _TARGET.fullmatch(text.strip())
    if not match:
        raise InputError(field, f"{shown(text)} is not {FORM}.")
    name, user = match["name"], match["user"]
    host, port = _address(text, match["address"], field)
    if name is not None and not _NAME.fullmatch(name):
        raise InputError(field, f"{shown(text)}: the name {shown(name)} is not a host label.")
    if user is not None:
        check_user(user, field)
    target = Target("", host, port, user or default_user)
    return Target(name or target.address, host, port, target.user)


def parse_targets(lines: Sequence[str], default_user: str) -> list[Target]:
    """The hosts input: one target per line; InputError when none, or a name twice."""
    targets = [parse_target(line, default_user) for line in lines if line.strip()]
    if not targets:
        raise InputError("hosts", "lists no host.")
    names = [t.name for t in targets]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError("hosts", f"'{duplicate}' is listed twice.")
    return targets
