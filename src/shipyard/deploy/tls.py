"""The HTTPS certificate, checked on the runner before anything changes (pure).

``tls-cert`` (the chain, the server's certificate first) and ``tls-key`` are read with the
``cryptography`` package: a chain that is not PEM, a certificate that has expired or is not
valid yet, a key that is not an unencrypted PEM key or does not belong to the certificate,
and a ``server-name`` the certificate does not cover are input errors naming the input
(exit 2), raised before any host is contacted. Nothing here prints the key or the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from shipyard.runtime import InputError

#: A certificate with fewer days left than this gets a warning at each deploy.
EXPIRY_WARNING_DAYS = 14


@dataclass(frozen=True)
class Certificate:
    """A checked certificate and key: what a deploy installs on each host."""

    chain: str = field(repr=False)
    key: str = field(repr=False)
    not_after: float  # Unix time
    names: tuple[str, ...]  # the DNS names and IP addresses it covers

    @property
    def fingerprint(self) -> str:
        """The files' name on the hosts: the same pair keeps its name, a new pair gets a new
        one (so the server block switches to it whole)."""
        return hashlib.sha256((self.chain + "\0" + self.key).encode()).hexdigest()[:16]

    def days_left(self, now: float) -> float:
        """Days until it expires."""
        return (self.not_after - now) / 86400


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def covers(pattern: str, name: str) -> bool:
    """Whether a certificate name (``*.example.com`` covers one label) covers ``name``."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name


def _names(leaf: object) -> tuple[str, ...]:
    from cryptography import x509

    assert isinstance(leaf, x509.Certificate)
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    dns = [str(n) for n in sans.get_values_for_type(x509.DNSName)]
    ips = [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    return tuple(dns + ips)


def _covered(names: Sequence[str], wanted: str) -> bool:
    try:
        address = ipaddress.ip_address(wanted)
    except ValueError:
        return any(covers(pattern, wanted) for pattern in names)
    return any(n == str(address) for n in names)


def check(chain: str, key: str, server_names: Sequence[str], now: float) -> Certificate:
    """The certificate and key, checked (see the module); InputError naming the input."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certificates = x509.load_pem_x509_certificates(chain.strip().encode())
    except ValueError:
        raise InputError(
            "tls-cert", "is not a PEM certificate chain (-----BEGIN CERTIFICATE-----)."
        ) from None
    leaf = certificates[0]
    moment = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    if leaf.not_valid_after_utc <= moment:
        raise InputError(
            "tls-cert",
            f"expired on {_when(leaf.not_valid_after_utc)}; give the renewed certificate.",
        )
    if leaf.not_valid_before_utc > moment:
        raise InputError("tls-cert", f"is not valid before {_when(leaf.not_valid_before_utc)}.")
    try:
        private = serialization.load_pem_private_key(key.strip().encode(), password=None)
    except (ValueError, TypeError):
        raise InputError(
            "tls-key", "is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)."
        ) from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if private.public_key().public_bytes(der, spki) != leaf.public_key().public_bytes(der, spki):
        raise InputError(
            "tls-key",
            "does not match the certificate in tls-cert (its public key is another one): give "
            "the key the certificate was issued for.",
        )
    names = _names(leaf)
    for wanted in server_names:
        if not _covered(names, wanted):
            raise InputError(
                "server-name",
                f"'{wanted}' is not covered by the certificate in tls-cert (it names "
                + (", ".join(names) or "no DNS name")
                + ").",
            )
    return Certificate(
        chain.strip() + "\n", key.strip() + "\n", leaf.not_valid_after_utc.timestamp(), names
    )
