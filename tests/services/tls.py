"""A throwaway certificate authority and a server certificate for loopback test services.

The server certificate names ``localhost`` (DNS SAN) and ``127.0.0.1`` (IP SAN), so a client that
verifies against the CA (``ssl.create_default_context(cafile=ca_cert)``) connects by either name
with hostname checking on. Keys are ECDSA P-256: fast to generate, accepted by OpenSSL's
X.509 strict mode (Python 3.13+ default contexts).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_DNS_NAMES: tuple[str, ...] = ("localhost",)
DEFAULT_IP_ADDRESSES: tuple[str, ...] = ("127.0.0.1",)


class TlsFiles(NamedTuple):
    """PEM files written by :func:`make_tls_files`."""

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side context with the certificate loaded (TLS 1.2 minimum)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.server_cert, self.server_key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the throwaway CA."""
        return ssl.create_default_context(cafile=str(self.ca_cert))


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "shipyard tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(path: Path, data: bytes, mode: int = 0o644) -> Path:
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


_KEY_USAGE = dict(
    content_commitment=False, key_encipherment=False, data_encipherment=False,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


class CertificateAuthority:
    """A throwaway CA that issues server certificates (the deploy's HTTPS tests make their own:
    a rotation is a second certificate of the same CA; an expired one is issued in the past)."""

    def __init__(self, common_name: str = "shipyard throwaway test CA", days: int = 7) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name(common_name)
        self.ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=400))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    **_KEY_USAGE,
                ),
                critical=True,
            )
            .add_extension(self.ski, critical=False)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        """The CA's certificate (a client's trust root)."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        dns_names: Iterable[str] = DEFAULT_DNS_NAMES,
        ip_addresses: Iterable[str] = DEFAULT_IP_ADDRESSES,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> tuple[x509.Certificate, bytes, bytes]:
        """A server certificate: (certificate, chain PEM: leaf then CA, key PEM: PKCS#8)."""
        now = dt.datetime.now(dt.timezone.utc)
        dns, ips = list(dns_names), list(ip_addresses)
        sans: list[x509.GeneralName] = [x509.DNSName(name) for name in dns]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(dns[0] if dns else ips[0]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(hours=1))
            .not_valid_after(not_after or now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    **_KEY_USAGE,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self.ski),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        key_pem = key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cert, cert.public_bytes(pem) + self.pem, key_pem


def make_tls_files(
    directory: str | os.PathLike[str],
    *,
    dns_names: Iterable[str] = DEFAULT_DNS_NAMES,
    ip_addresses: Iterable[str] = DEFAULT_IP_ADDRESSES,
    days: int = 7,
) -> TlsFiles:
    """Create a CA and a server certificate/key in ``directory``; return their paths.

    Files: ``ca.pem``, ``server.pem`` (leaf then CA, a full chain) and ``server.key``
    (unencrypted PKCS#8, mode 0600). Existing files are overwritten.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    authority = CertificateAuthority(days=days)
    now = dt.datetime.now(dt.timezone.utc)
    _cert, chain, key = authority.issue(
        dns_names, ip_addresses, not_after=now + dt.timedelta(days=days)
    )
    return TlsFiles(
        ca_cert=_write(out / "ca.pem", authority.pem),
        server_cert=_write(out / "server.pem", chain),
        server_key=_write(out / "server.key", key, 0o600),
    )
