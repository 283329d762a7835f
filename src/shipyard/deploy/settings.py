"""Cross-input checks of the deploy settings beyond what the runtime's kinds give (pure).

Which inputs each mode takes (an input of another mode is an error naming it, so a typo'd
workflow never silently does something else), the HTTPS inputs (the certificate itself is
checked later by :mod:`.tls`, against the clock), sizes (``min-free-space``) and the time
forms ``docker logs --since`` reads.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from shipyard.runtime import InputError
from shipyard.runtime.network import AddressError, ascii_host

if TYPE_CHECKING:
    from .spec import Settings

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
#: ``docker logs --since``: a Go duration (10m, 1h30m), a Unix time, or an RFC 3339 time.
_SINCE = re.compile(
    r"^(?:(?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h))+|\d+(?:\.\d+)?"
    r"|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?)$"
)
#: A path nginx and the remote shell both read as written (no quoting needed in either).
SAFE_PATH = re.compile(r"^/[A-Za-z0-9_./-]+$")

#: The inputs only one mode reads (the others refuse them).
MODE_INPUTS = {
    "command": "exec",
    "exec-host": "exec",
    "log-since": "logs",
    "maintenance": "maintenance",
    "maintenance-page": "maintenance",
}


def parse_size(text: str, field: str) -> int:
    """``2G``, ``500M``, ``1.5GB``, ``1024`` (bytes; binary units) -> bytes."""
    match = _SIZE.match(text.strip())
    if not match:
        raise InputError(field, f"'{text}' is not a size such as 2G, 500M or 0.")
    return int(float(match[1]) * _UNITS[match[2].lower()])


def human(size: float) -> str:
    """Bytes for people: ``512 B``, ``1.5 GB``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def _given(settings: Settings) -> dict[str, bool]:
    s = settings
    return {
        "command": bool(s.command),
        "exec-host": bool(s.exec_host),
        "log-since": bool(s.log_since),
        "maintenance": s.maintenance is not None,
        "maintenance-page": bool(s.maintenance_page),
    }


def check_modes(settings: Settings) -> None:
    """What each mode needs, and no input of another mode."""
    s = settings
    for name, given in _given(s).items():
        if given and s.mode != MODE_INPUTS[name]:
            raise InputError(name, f"is only for mode: {MODE_INPUTS[name]}.")
    if s.mode == "deploy" and not s.image:
        raise InputError("image", "is required for mode: deploy.")
    if s.mode != "rollback" and s.to_release:
        raise InputError("to-release", "is only for mode: rollback.")
    parse_size(s.min_free_space, "min-free-space")
    if s.mode == "exec":
        if not (s.command or "").strip():
            raise InputError("command", "is required for mode: exec.")
        names = _host_names(s)
        if s.exec_host and s.exec_host not in names:
            raise InputError(
                "exec-host", f"'{s.exec_host}' is not a host of hosts ({', '.join(names)})."
            )
    if s.log_since and not _SINCE.match(s.log_since):
        raise InputError(
            "log-since", f"'{s.log_since}' is not a duration (10m, 2h) or a time (RFC 3339)."
        )
    if s.mode == "maintenance":
        if s.maintenance is None:
            raise InputError("maintenance", "is required for mode: maintenance (on or off).")
        if s.proxy != "nginx":
            raise InputError("mode", "maintenance needs proxy: nginx (nginx answers the 503).")
        if s.maintenance_page and s.maintenance != "on":
            raise InputError("maintenance-page", "is only for maintenance: on.")


def _host_names(settings: Settings) -> list[str]:
    from .targets import parse_targets

    return [t.name for t in parse_targets(settings.hosts, settings.user)]


def check_tls(settings: Settings) -> None:
    """The HTTPS inputs go together: a certificate and its key (as secrets, or as paths on the
    hosts), the names, nginx; HSTS and the names only with HTTPS."""
    s = settings
    inline, paths = bool(s.tls_cert or s.tls_key), bool(s.tls_cert_path or s.tls_key_path)
    if inline and paths:
        raise InputError(
            "tls-cert-path", "give the certificate either as tls-cert/tls-key or as paths."
        )
    if s.tls_cert and not s.tls_key:
        raise InputError("tls-key", "is required with tls-cert.")
    if s.tls_key and not s.tls_cert:
        raise InputError("tls-cert", "is required with tls-key.")
    if s.tls_cert_path and not s.tls_key_path:
        raise InputError("tls-key-path", "is required with tls-cert-path.")
    if s.tls_key_path and not s.tls_cert_path:
        raise InputError("tls-cert-path", "is required with tls-key-path.")
    for name, path in (("tls-cert-path", s.tls_cert_path), ("tls-key-path", s.tls_key_path)):
        if path and not SAFE_PATH.match(path):
            raise InputError(
                name, f"'{path}' must be an absolute path of letters, digits and '_./-'."
            )
    if inline or paths:
        _check_https(s)
    elif s.server_name:
        raise InputError("server-name", "is for HTTPS (tls-cert or tls-cert-path).")
    elif s.hsts_max_age:
        raise InputError("hsts-max-age", "is for HTTPS (tls-cert or tls-cert-path).")


def _check_https(settings: Settings) -> None:
    """With HTTPS: nginx, the names, the ports."""
    s = settings
    if s.proxy != "nginx":
        raise InputError("proxy", "HTTPS needs proxy: nginx (the action writes its server block).")
    if not s.server_name:
        raise InputError("server-name", "is required for HTTPS: the names the certificate covers.")
    for name in s.server_name:
        try:
            if ascii_host(name, strict=True) != name or ":" in name:
                raise AddressError("is not a host name in its ASCII form")
        except AddressError as exc:
            raise InputError("server-name", f"'{name}' {exc}.") from None
    if s.http_port == s.https_port:
        raise InputError("http-port", f"is https-port ({s.https_port}); give another, or 0.")
