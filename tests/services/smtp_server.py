"""A real SMTP server on loopback (aiosmtpd) for the tests of the ``notify`` email channel.

Listeners, all on ``127.0.0.1``:

* **submission** (like port 587): plain TCP offering STARTTLS; AUTH (PLAIN, LOGIN) is advertised
  and accepted only after STARTTLS (aiosmtpd's ``auth_require_tls=True``; before it AUTH gets
  ``538 5.7.11``);
* **tls** (like port 465, SMTPS): TLS from the first byte, AUTH accepted;
* **plain** (optional, off by default): cleartext, no STARTTLS, AUTH accepted in clear. It exists
  only to test a client's ``none`` security mode; no real server should be modelled on it.

Every accepted message is recorded as a :class:`ReceivedMessage`; failures can be injected with
:meth:`SmtpServer.fail_next`. Run ``python -m tests.services.smtp_server --help`` for the CLI.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.services.tls import TlsFiles, make_tls_files

HOST = "127.0.0.1"
SERVER_NAME = "localhost"  # greeting name; also avoids a slow socket.getfqdn() per connection
STAGES = ("MAIL", "RCPT", "DATA")
LISTENERS = ("submission", "tls", "plain")


class _QuietLegacyLoginData(logging.Filter):
    """aiosmtpd 1.4 itself sets the deprecated Session.login_data on every AUTH and logs a
    warning about it each time; that line says nothing about our code, so it is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietLegacyLoginData())


@dataclass(frozen=True)
class ReceivedMessage:
    """One message accepted by the server."""

    mail_from: str
    rcpt_tos: list[str]  # the envelope recipients: To + Cc + Bcc
    raw: bytes
    message: EmailMessage  # parsed with email.policy.default (CRLF -> LF first)
    listener: str  # "submission", "tls" or "plain"
    tls: bool  # whether the session was encrypted (STARTTLS or implicit TLS)
    tls_version: str | None
    auth_user: str | None  # the authenticated user, None without AUTH
    helo: str | None
    mail_options: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The envelope and session facts (not the content) as JSON-ready data."""
        return {
            "mail_from": self.mail_from,
            "rcpt_tos": self.rcpt_tos,
            "mail_options": self.mail_options,
            "listener": self.listener,
            "tls": self.tls,
            "tls_version": self.tls_version,
            "auth_user": self.auth_user,
            "helo": self.helo,
            "subject": None if self.message["Subject"] is None else str(self.message["Subject"]),
            "size": len(self.raw),
        }


@dataclass(frozen=True)
class Fault:
    """An injected reply for one transaction at one stage."""

    code: int
    stage: str
    text: str

    @property
    def reply(self) -> str:
        return f"{self.code} {self.text}"


@dataclass(frozen=True)
class Rejection:
    """A transaction refused by an injected fault or by ``require_auth``."""

    stage: str
    reply: str
    listener: str
    mail_from: str | None
    rcpt_tos: list[str]


def _default_fault_text(code: int) -> str:
    if code == 421:
        return "4.3.2 Service shutting down (injected by test); closing connection"
    if code < 500:
        return "4.3.0 Temporary failure (injected by test)"
    if code == 550:
        return "5.7.1 Message rejected (injected by test)"
    return "5.0.0 Permanent failure (injected by test)"


def _parse(raw: bytes) -> EmailMessage:
    """Parse with policy.default, wire CRLFs made LF so get_content() gives plain text."""
    parser = BytesParser(policy=policy.default)
    return parser.parsebytes(raw.replace(b"\r\n", b"\n"))


class _Envelope(Envelope):
    """An envelope that remembers the fault its transaction already took."""

    def __init__(self) -> None:
        super().__init__()
        self.fault: Fault | None = None


class _SMTP(SMTP):
    def _create_envelope(self) -> Envelope:
        return _Envelope()


class _Handler:
    """aiosmtpd hooks for one listener; the state lives in the :class:`SmtpServer`."""

    def __init__(self, server: SmtpServer, listener: str) -> None:
        self.server = server
        self.listener = listener

    def authenticate(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """The ``authenticator`` callable: a wrong user or password gives 535."""
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = data.login.decode("utf-8", "replace")
        password = data.password.decode("utf-8", "replace")
        with self.server._lock:
            ok = user in self.server.users and self.server.users[user] == password
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _fault(
        self, smtp: SMTP, envelope: Envelope, stage: str, mail_from: str | None = None
    ) -> str | None:
        env = cast(_Envelope, envelope)
        if env.fault is None or env.fault.stage != stage:
            with self.server._lock:
                queue = self.server._faults
                if not queue or queue[0].stage != stage:
                    return None
                env.fault = queue.popleft()
        fault = env.fault
        self.server._reject(self.listener, stage, fault.reply, envelope, mail_from)
        if fault.code == 421:
            transport = smtp.transport
            if transport is not None:
                smtp.loop.call_soon(transport.close)  # after the reply is written
        return fault.reply

    async def handle_MAIL(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.server.require_auth and not session.authenticated:
            refusal = "530 5.7.0 Authentication required"
            self.server._reject(self.listener, "MAIL", refusal, envelope, address)
            return refusal
        reply = self._fault(smtp, envelope, "MAIL", address)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self._fault(smtp, envelope, "RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self._fault(smtp, envelope, "DATA")
        if reply:
            return reply
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        ssl_object = smtp.transport.get_extra_info("ssl_object") if smtp.transport else None
        auth = session.auth_data  # the LoginPassword our authenticator accepted
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            raw=raw,
            message=_parse(raw),
            listener=self.listener,
            tls=ssl_object is not None,
            tls_version=ssl_object.version() if ssl_object is not None else None,
            auth_user=(
                auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None
            ),
            helo=session.host_name,
            mail_options=list(envelope.mail_options),
        )
        self.server._record(received)
        return "250 2.0.0 OK: queued"


class _Listener(Controller):
    """A Controller that binds its own socket, so port 0 means a free port without races."""

    def __init__(
        self, handler: _Handler, port: int, ssl_context: ssl.SSLContext | None, **smtp_kwargs: Any
    ) -> None:
        super().__init__(
            handler,
            hostname=HOST,
            port=port,
            ssl_context=ssl_context,
            server_hostname=SERVER_NAME,
            **smtp_kwargs,
        )

    def factory(self) -> SMTP:
        return _SMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self) -> Awaitable[Any]:
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only if
        # sock.proto says TCP; without it every multi-line reply (EHLO) stalls ~40 ms.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        return self.loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)


class SmtpServer:
    """SMTP listeners on 127.0.0.1 that record what they receive.

    ``users`` maps user to password (a wrong one gives ``535``); with ``require_auth`` a MAIL
    without AUTH gets ``530``. ``users`` and ``require_auth`` may be changed while running;
    :meth:`reset` restores the values given here. Ports 0 pick free ports; a restart after
    :meth:`stop` keeps the ports. ``on_message`` is called (in a server thread) for each message.
    """

    def __init__(
        self,
        tls_dir: str | os.PathLike[str],
        *,
        users: Mapping[str, str] | None = None,
        require_auth: bool = False,
        plain: bool = False,
        submission_port: int = 0,
        tls_port: int = 0,
        plain_port: int = 0,
        on_message: Callable[[ReceivedMessage], None] | None = None,
    ) -> None:
        self.host = HOST
        self.tls_files: TlsFiles = make_tls_files(tls_dir)
        self.ca_cert: Path = self.tls_files.ca_cert
        self._initial_users = dict(users or {})
        self._initial_require_auth = require_auth
        self.users: dict[str, str] = dict(self._initial_users)
        self.require_auth = require_auth
        self.on_message = on_message
        self.messages: list[ReceivedMessage] = []
        self.rejections: list[Rejection] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._ports: dict[str, int | None] = {
            "submission": submission_port,
            "tls": tls_port,
            "plain": plain_port if plain else None,
        }
        self._listeners: dict[str, _Listener] = {}

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def submission_port(self) -> int:
        return self._port("submission")

    @property
    def tls_port(self) -> int:
        return self._port("tls")

    @property
    def plain_port(self) -> int | None:
        """The cleartext AUTH listener (only for a client's ``none`` mode), or None if off."""
        return None if self._ports["plain"] is None else self._port("plain")

    def _port(self, name: str) -> int:
        port = self._ports[name]
        if not port:
            raise RuntimeError(f"the {name} listener has no port: start() the server first")
        return port

    @property
    def running(self) -> bool:
        return bool(self._listeners)

    def start(self) -> SmtpServer:
        """Bind and serve every listener; raises if one cannot start."""
        if self._listeners:
            raise RuntimeError("SmtpServer is already running")
        server_tls = self.tls_files.server_context()
        specs: dict[str, tuple[ssl.SSLContext | None, dict[str, Any]]] = {
            # STARTTLS goes in the SMTP kwargs; AUTH only once TLS is up.
            "submission": (None, {"tls_context": server_tls, "auth_require_tls": True}),
            # Implicit TLS: the Controller wraps the socket. aiosmtpd only counts STARTTLS as
            # TLS for auth_require_tls, so it must be False here (the session *is* TLS).
            "tls": (server_tls, {"auth_require_tls": False}),
            # Cleartext AUTH, for the client's `none` mode test only.
            "plain": (None, {"auth_require_tls": False}),
        }
        try:
            for name, (ssl_context, kwargs) in specs.items():
                port = self._ports[name]
                if port is None:
                    continue
                handler = _Handler(self, name)
                listener = _Listener(
                    handler, port, ssl_context, authenticator=handler.authenticate, **kwargs
                )
                listener.start()
                self._listeners[name] = listener
                self._ports[name] = listener.port
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every listener (open sessions are dropped)."""
        listeners, self._listeners = self._listeners, {}
        for listener in listeners.values():
            listener.stop(no_assert=True)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ---------------------------------------------------------------------

    def reset(self) -> None:
        """Forget messages, rejections and pending faults; restore users and require_auth."""
        with self._lock:
            self.messages.clear()
            self.rejections.clear()
            self._faults.clear()
            self.users = dict(self._initial_users)
            self.require_auth = self._initial_require_auth

    def fail_next(
        self, n: int = 1, code: int = 451, stage: str = "DATA", text: str | None = None
    ) -> None:
        """Make the next ``n`` transactions that reach ``stage`` answer ``code``.

        ``stage`` is ``MAIL``, ``RCPT`` (every RCPT of the transaction is refused) or ``DATA``
        (after the content, i.e. the final reply). 4xx are temporary (e.g. 451 4.3.0), 5xx
        permanent (550, 554); 421 also closes the connection. Faults queue up in call order.
        """
        stage = stage.upper()
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        if not 400 <= code <= 599:
            raise ValueError(f"an injected fault needs a 4xx or 5xx code, not {code}")
        fault = Fault(code=code, stage=stage, text=text or _default_fault_text(code))
        with self._lock:
            self._faults.extend([fault] * n)

    @property
    def faults_pending(self) -> int:
        with self._lock:
            return len(self._faults)

    def wait_for_messages(self, n: int = 1, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least ``n`` messages arrived; return them, or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {n} message(s) within {timeout}s, got {len(self.messages)};"
                        f" rejections: {[r.reply for r in self.rejections]}"
                    )
                self._arrived.wait(remaining)
            return list(self.messages)

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the server's throwaway CA."""
        return self.tls_files.client_context()

    # -- called from the handlers (server threads) -----------------------------------------

    def _record(self, received: ReceivedMessage) -> None:
        with self._arrived:
            self.messages.append(received)
            self._arrived.notify_all()
        if self.on_message is not None:
            self.on_message(received)

    def _reject(
        self,
        listener: str,
        stage: str,
        reply: str,
        envelope: Envelope,
        mail_from: str | None = None,
    ) -> None:
        rejection = Rejection(
            stage=stage,
            reply=reply,
            listener=listener,
            mail_from=mail_from or envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
        )
        with self._lock:
            self.rejections.append(rejection)


# -- CLI ---------------------------------------------------------------------------------------


class _Spool:
    """Writes message n as <n>.eml then <n>.json (the .json appears last, complete)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, received: ReceivedMessage) -> None:
        with self._lock:
            self.count += 1
            n = self.count
        self._atomic_write(self.directory / f"{n}.eml", received.raw)
        data = json.dumps(received.to_json(), indent=2).encode()
        self._atomic_write(self.directory / f"{n}.json", data + b"\n")

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)


def _parse_user(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError(f"expected USER:PASSWORD, got {value!r}")
    return user, password


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT, spooling each message; print one JSON line when ready."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.services.smtp_server",
        description="Loopback SMTP test server (STARTTLS submission + implicit TLS).",
    )
    parser.add_argument("--submission-port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--tls-port", type=int, default=0, help="0 = a free port")
    parser.add_argument(
        "--plain-port",
        type=int,
        default=None,
        help="also open the cleartext-AUTH listener (client `none` mode tests)",
    )
    parser.add_argument(
        "--user",
        action="append",
        type=_parse_user,
        default=[],
        metavar="USER:PASSWORD",
        help="repeatable",
    )
    parser.add_argument("--require-auth", action="store_true", help="refuse mail without AUTH")
    parser.add_argument("--spool", type=Path, required=True, help="directory for <n>.eml/.json")
    parser.add_argument(
        "--tls-dir",
        type=Path,
        default=None,
        help="where to write ca.pem/server.pem/server.key (default: a temp dir)",
    )
    args = parser.parse_args(argv)

    args.spool.mkdir(parents=True, exist_ok=True)
    tls_dir = args.tls_dir or Path(tempfile.mkdtemp(prefix="shipyard-smtp-tls-"))
    server = SmtpServer(
        tls_dir,
        users=dict(args.user),
        require_auth=args.require_auth,
        plain=args.plain_port is not None,
        submission_port=args.submission_port,
        tls_port=args.tls_port,
        plain_port=args.plain_port or 0,
        on_message=_Spool(args.spool),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    try:
        ready = {
            "host": server.host,
            "submission_port": server.submission_port,
            "tls_port": server.tls_port,
            "plain_port": server.plain_port,
            "ca_cert": str(server.ca_cert),
            "spool": str(args.spool),
        }
        print(json.dumps(ready), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
