"""A token server for docker-registry's ``auth: token`` (what Docker Hub, ghcr.io and ECR do).

The registry answers ``401`` with ``WWW-Authenticate: Bearer realm=...,service=...,scope=...``;
a client asks this server for a JWT with HTTP Basic credentials (``GET /token?service=&scope=``,
as the docker CLI and our registry client do) or the OAuth2 password grant (``POST /token``,
as containerd/BuildKit try first). Tokens are ES256 JWTs signed with this server's own key;
the header carries the signing certificate (``x5c``) and the registry trusts it through
``rootcertbundle`` (distribution's token auth, docs/configuration.md ``auth.token``).

Users have rights per action (``pull``, ``push``): a user without ``push`` gets a token without
it, and the registry then refuses the push. A wrong password is ``401``. ``lifetime`` sets how
long tokens live (distribution accepts a token up to 60 s after its ``exp``: a lifetime of
``-58`` makes tokens that expire 2 s after they are issued, to test renewal).
Runs in a thread of the test process; ``issued`` records every token's claims.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SERVICE = "shipyard-registry"
ISSUER = "shipyard-token-server"
#: distribution's clock leeway on exp/nbf (registry/auth/token/token.go).
REGISTRY_LEEWAY = 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class User:
    password: str = field(repr=False)
    actions: tuple[str, ...] = ("pull", "push")


class SigningKey:
    """An EC P-256 key and its self-signed certificate (the registry's rootcertbundle)."""

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.cert_der = self.cert.public_bytes(serialization.Encoding.DER)

    def sign(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def decode_claims(token: str) -> dict[str, Any]:
    """The claims of one of our tokens (for assertions; no verification)."""
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


class TokenServer:
    """``TokenServer(users).start()``; ``realm`` and ``write_cert(path)`` for the registry."""

    def __init__(
        self, users: dict[str, User], *, service: str = SERVICE, lifetime: int = 300
    ) -> None:
        self.users = users
        self.service = service
        self.lifetime = lifetime
        self.key = SigningKey()
        self.issued: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.requests: list[tuple[str, str, bool]] = []  # (method, path, had credentials)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the registry's side -------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def write_cert(self, path: Path) -> Path:
        path.write_bytes(self.key.cert_pem)
        return path

    def registry_auth(self, cert: Path) -> dict[str, object]:
        """The ``auth`` section of a docker-registry config that trusts this server."""
        return {
            "token": {
                "realm": self.realm,
                "service": self.service,
                "issuer": ISSUER,
                "rootcertbundle": str(self.write_cert(cert)),
            }
        }

    # -- tokens ---------------------------------------------------------------------------
    def _granted(self, user: str | None, scopes: list[str]) -> list[dict[str, Any]]:
        allowed = self.users[user].actions if user else ()
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            kind, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            granted = [a for a in actions if a in allowed]
            access.append({"type": kind, "name": name, "actions": granted})
        return access

    def issue(self, user: str | None, scopes: list[str]) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": self.service,
            "exp": now + self.lifetime,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": self._granted(user, scopes),
        }
        token = self.key.sign(claims)
        with self._lock:
            self.issued.append(claims)
        return {
            "token": token,
            "access_token": token,
            "expires_in": max(self.lifetime, 60),
            "issued_at": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(),
        }

    def check(self, user: str, password: str) -> bool:
        known = self.users.get(user)
        ok = known is not None and secrets.compare_digest(known.password, password)
        if not ok:
            with self._lock:
                self.refused.append(user)
        return ok

    # -- HTTP -----------------------------------------------------------------------------
    def start(self) -> TokenServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _basic(self) -> tuple[str, str] | None:
                header = self.headers.get("Authorization", "")
                if not header.lower().startswith("basic "):
                    return None
                try:
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                except ValueError:
                    return None
                return user, password

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                credentials = self._basic()
                owner.requests.append(("GET", self.path, credentials is not None))
                if url.path != "/token":
                    self._send(404, {"details": "not found"})
                    return
                scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
                user = None
                if credentials is not None:
                    if not owner.check(*credentials):
                        self._send(401, {"details": "incorrect username or password"})
                        return
                    user = credentials[0]
                self._send(200, owner.issue(user, scopes))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                owner.requests.append(("POST", self.path, "password" in form))
                grant = (form.get("grant_type") or [""])[0]
                if urlsplit(self.path).path != "/token" or grant != "password":
                    self._send(400, {"error": "unsupported_grant_type"})
                    return
                user = (form.get("username") or [""])[0]
                if not owner.check(user, (form.get("password") or [""])[0]):
                    self._send(401, {"error": "invalid_grant"})
                    return
                scopes = [s for v in form.get("scope", []) for s in v.split(" ") if s]
                self._send(200, owner.issue(user, scopes))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def tokens_for(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            return [claims for claims in self.issued if claims["sub"] == user]
