"""Host names, ``host[:port]`` addresses and http(s) URLs, checked before anything connects.

The settings kinds :data:`~shipyard.runtime.settings.Url`, :data:`~shipyard.runtime.settings.
HostName` and :data:`~shipyard.runtime.settings.HostPort` use these checks, so a bad address is
an input error naming the input (exit 2), never a traceback from deep inside a library
(urllib3's ``LocationParseError``, the idna codec's ``UnicodeError``). A host is

* a DNS name: labels of 1 to 63 letters, digits, ``-`` or ``_`` (not starting or ending with
  ``-``), 253 characters in all, an optional final dot. A name with non-ASCII letters is
  turned into its ASCII form (IDNA 2008 with the UTS 46 mapping, by the ``idna`` package that
  requests uses) and checked as such;
* an IPv4 address (a name made only of digits and dots must be one);
* an IPv6 address (in brackets where a port may follow).

``strict=True`` is for a host written into a configuration another program reads (OpenSSH's
ssh_config): a non-ASCII label must already be in its IDNA form apart from case (a mapping that
would drop or change a character, such as a zero-width space, a soft hyphen or full-width
letters, is refused), an ``xn--`` label must decode, there is no final dot, the last label is
not all digits, and an IPv6 address has no zone (``%`` is an ssh_config token).
:func:`check_user_name` checks a POSIX user name for the same kind of use.

Messages about URLs never repeat the URL (it may carry a token); host names are quoted unless
the input is a secret.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from .errors import InputError

MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
HTTP_SCHEMES = ("http", "https")
_LABEL_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
#: A POSIX user name: the portable filename characters, not starting with '-' (nor '.' or a
#: digit, as useradd wants), at most 32 characters.
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")


class AddressError(ValueError):
    """Why an address cannot be used, in words that never quote a URL."""


def _has_control_or_space(text: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in text)


def _idna_ascii(name: str) -> str:
    """The ASCII form (A-labels) of a name with non-ASCII letters."""
    try:
        import idna  # comes with requests
    except ImportError:  # pragma: no cover - requests always brings it
        try:
            return name.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError("is not a valid internationalised domain name") from None
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (UnicodeError, ValueError):
        raise AddressError("is not a valid internationalised domain name (IDNA)") from None


def _exact_idna_label(label: str) -> str:
    """A label in ASCII when it is exactly IDNA (apart from case); AddressError otherwise."""
    import idna  # comes with requests

    try:
        if not label.isascii():
            if idna.uts46_remap(label, std3_rules=True, transitional=False) != label.lower():
                raise AddressError("has a character that IDNA would drop or change")
            return idna.encode(label.lower()).decode("ascii")
        if label[:4].lower() == "xn--":
            idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        raise AddressError("is not a valid internationalised domain name (IDNA)") from None
    return label


def _strict_name(name: str) -> str:
    """The checks ``strict`` adds for a name (not an address): exact IDNA, no final dot, the
    last label not all digits."""
    if name.endswith("."):
        raise AddressError("ends with a dot")
    labels = [_exact_idna_label(label) if label else label for label in name.split(".")]
    ascii_name = ".".join(labels)
    if ascii_name.rsplit(".", 1)[-1].isdigit():
        raise AddressError("ends with a label of digits only (neither a name nor an IPv4 address)")
    return ascii_name


def _check_labels(name: str) -> None:
    if len(name) > MAX_HOST_LENGTH:
        raise AddressError(f"is longer than {MAX_HOST_LENGTH} characters")
    for label in name.split("."):
        if not label:
            raise AddressError("has an empty label (two dots in a row, or a leading dot)")
        if len(label) > MAX_LABEL_LENGTH:
            raise AddressError(
                f"has a label of {len(label)} characters (at most {MAX_LABEL_LENGTH} between dots)"
            )
        if not _LABEL_CHARS.match(label):
            raise AddressError("has a character other than letters, digits, '.', '-' and '_'")
        if label.startswith("-") or label.endswith("-"):
            raise AddressError("has a label that starts or ends with '-'")


def ascii_host(host: str, *, strict: bool = False) -> str:
    """``host`` checked and in ASCII (A-labels; an IPv6 address without brackets); ``strict``
    as the module says.

    Raises :class:`AddressError` saying what is wrong."""
    if not host:
        raise AddressError("is empty")
    if _has_control_or_space(host):
        raise AddressError("contains a space or a control character")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise AddressError("has a ':' but is not an IPv6 address") from None
        if strict and "%" in host:
            raise AddressError("has a zone ('%...'), which cannot be used here")
        return host
    if strict and not host.replace(".", "").isdigit():
        host = _strict_name(host)
    dot = "." if host.endswith(".") and len(host) > 1 else ""
    name = host[:-1] if dot else host
    if not name.isascii():
        name = _idna_ascii(name)
    if name.replace(".", "").isdigit():
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            raise AddressError("is not a valid IPv4 address") from None
        return name
    _check_labels(name)
    return name + dot


def parse_port(text: str) -> int:
    """A TCP port, 1 to 65535."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise AddressError(f"'{text}' is not a port number (1-65535)")
    return int(text)


def split_host_port(value: str, *, strict: bool = False) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` (a bare IPv6 address has no port)
    -> (host in ASCII, port or None); ``strict`` as for :func:`ascii_host`. Raises
    :class:`AddressError`."""
    text = value.strip()
    port_text: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise AddressError("has an unclosed '['")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise AddressError("has text after ']' that is not ':port'")
        port_text = rest[1:] if rest else None
        if not host or ":" not in host:
            raise AddressError("has no IPv6 address between '[' and ']'")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text
    if not host:
        raise AddressError("has no host name")
    return ascii_host(host, strict=strict), None if port_text is None else parse_port(port_text)


def join_host_port(host: str, port: int | None) -> str:
    """The inverse of :func:`split_host_port` (IPv6 in brackets when a port follows)."""
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def url_problem(url: str, schemes: tuple[str, ...] = HTTP_SCHEMES) -> str | None:
    """Why ``url`` cannot be used (words that never repeat the URL), or None."""
    from urllib.parse import urlsplit

    if _has_control_or_space(url):
        return "contains a space or a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "has an invalid host or port"
    if parts.scheme.lower() not in schemes:
        return "is not an http(s) URL" if schemes == HTTP_SCHEMES else "has another scheme"
    host = parts.netloc.rpartition("@")[2]
    if host.startswith("["):
        inside, _, after = host[1:].partition("]")
        if after and not after.startswith(":"):  # '[::1]x': urllib3 refuses it
            return "has an invalid host or port"
        host = f"[{inside}]"
    elif ":" in host:
        host = host.rpartition(":")[0]
    try:
        ascii_host(host)
    except AddressError as exc:
        return f"has a host name that {exc}" if host else "has no host name"
    if port == 0:
        return "has port 0"
    return None


def check_url(name: str, url: str, schemes: tuple[str, ...] = HTTP_SCHEMES) -> str:
    """``url`` unchanged, or :class:`InputError` naming the input (never showing the URL)."""
    problem = url_problem(url, schemes)
    if problem:
        raise InputError(name, f"{problem} (the value is not shown: it may hold a secret).")
    return url


def _shown(value: str, secret: bool) -> str:
    return "the value" if secret else f"'{value}'"


def check_host(name: str, value: str, *, secret: bool = False) -> str:
    """A host name or IP address, in ASCII; or :class:`InputError` naming the input."""
    try:
        return ascii_host(value.strip())
    except AddressError as exc:
        raise InputError(name, f"{_shown(value, secret)} is not a host name: it {exc}.") from None


def check_host_port(name: str, value: str, *, secret: bool = False) -> str:
    """``host`` or ``host:port`` (``[v6]:port``), checked, with the host in ASCII."""
    try:
        host, port = split_host_port(value)
    except AddressError as exc:
        said = str(exc)
        if said.startswith("'"):  # a bad port, quoted
            said = "has a port that is not a number from 1 to 65535" if secret else said
            raise InputError(name, f"{said}.") from None
        raise InputError(name, f"{_shown(value, secret)} {_verb(said)}.") from None
    return join_host_port(host, port)


def user_name_problem(value: str) -> str | None:
    """Why ``value`` is not a POSIX user name (one that is safe in ssh_config), or None."""
    if USER_NAME.fullmatch(value):
        return None
    return (
        "is not a user name (letters, digits, '_', '.', '-'; starting with a letter or '_'; "
        "up to 32)"
    )


def check_user_name(name: str, value: str) -> str:
    """``value`` when it is a POSIX user name; else :class:`InputError` naming the input."""
    problem = user_name_problem(value)
    if problem:
        shown = f"'{value}'" if value.isprintable() else repr(value)
        raise InputError(name, f"{shown} {problem}.")
    return value


def _verb(reason: str) -> str:
    """'is empty' -> 'has a host that is empty', keeping the 'has ...' reasons as they are."""
    return reason if reason.startswith("has ") else f"has a host that {reason}"


__all__ = [
    "HTTP_SCHEMES",
    "AddressError",
    "ascii_host",
    "check_host",
    "check_host_port",
    "check_url",
    "check_user_name",
    "join_host_port",
    "parse_port",
    "split_host_port",
    "url_problem",
    "user_name_problem",
]
