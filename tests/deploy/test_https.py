"""HTTPS through real nginx, OpenSSH and dockerd on the loopback host, with a CA made here:
the server block the action writes (HTTPS, HTTP redirected, HSTS), the certificate installed
and rotated on each deploy without a failed request, health checked through TLS, a bad
certificate refused before anything changes, and certificates an ACME client keeps on the
host."""

from __future__ import annotations

import datetime as dt
import http.client
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from shipyard.deploy import tls
from tests.deploy.conftest import App
from tests.deploy.test_security import _PsWatcher
from tests.services._common import free_port, wait_until
from tests.services.deploy_hosts import DeployHost
from tests.services.loadgen import LoadGenerator, fetch
from tests.services.tls import CertificateAuthority


class Https:
    """An app served over HTTPS by the action's server block, and the CA its certificates
    come from; the block and the files are removed after the test (their ports are free ports
    another test's nginx site may take next)."""

    def __init__(self, app: App) -> None:
        self.app, self.ca = app, CertificateAuthority()
        self.https_port, self.http_port = free_port(), free_port()
        self.context = ssl.create_default_context(cadata=self.ca.pem.decode())

    @property
    def host(self) -> DeployHost:
        return self.app.hosts[0]

    def issue(self, **when: dt.datetime) -> tuple[x509.Certificate, str, str]:
        cert, chain, key = self.ca.issue(("localhost",), ("127.0.0.1",), **when)
        return cert, chain.decode(), key.decode()

    def inputs(self, chain: str, key: str, **extra: str) -> dict[str, str]:
        return {
            "tls-cert": chain, "tls-key": key, "server-name": "localhost",
            "https-port": str(self.https_port), "http-port": str(self.http_port), **extra,
        }  # fmt: skip

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}/"

    def get(self, path: str = "/", *, https: bool = True) -> http.client.HTTPResponse:
        conn: http.client.HTTPConnection
        if https:
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=self.context, timeout=10
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    def served(self) -> x509.Certificate:
        with ssl.create_connection(("127.0.0.1", self.https_port), timeout=10) as raw, \
                self.context.wrap_socket(raw, server_hostname="localhost") as conn:  # fmt: skip
            der = conn.getpeercert(binary_form=True)
        assert der is not None
        return x509.load_der_x509_certificate(der)

    @property
    def tls_dir(self) -> Path:
        return self.host.home / "nginx" / "tls" / self.app.name

    @property
    def site(self) -> Path:
        return self.host.home / "nginx" / "conf.d" / f"{self.app.name}.server.conf"

    def remove(self) -> None:
        for path in (self.site, *self.tls_dir.glob("*")):
            path.unlink(missing_ok=True)
        self.host.nginx.reload()


@pytest.fixture
def https(app: App) -> Iterator[Https]:
    served = Https(app)
    yield served
    served.remove()


def test_https_redirect_hsts_and_a_rotation_under_load_without_a_failed_request(
    https: Https,
) -> None:
    app, host = https.app, https.host
    _cert1, chain1, key1 = https.issue()
    before = host.ssh.log.stat().st_size
    with _PsWatcher() as ps:
        first = app.deploy("v1", https.inputs(chain1, key1, **{"hsts-max-age": "1d"}))
    assert first.code == 0, first.log
    assert fetch(https.url, https.context) == "v1"
    answer = https.get("/version")
    assert answer.status == 200
    assert answer.getheader("Strict-Transport-Security") == "max-age=86400"
    redirect = https.get("/version?x=1", https=False)
    assert redirect.status == 301
    assert redirect.getheader("Location") == f"https://127.0.0.1:{https.https_port}/version?x=1"
    (tls_step,) = [s for s in _steps(first) if s["name"] == "tls"]
    assert tls_step["ok"]
    # The key is a 0600 file of root's, reached over stdin: in no command line or log.
    name = tls.check(chain1, key1, ["localhost"], dt.datetime.now().timestamp()).fingerprint
    files = sorted(p.name for p in https.tls_dir.iterdir())
    assert files == [f"{name}.crt", f"{name}.key"]
    for path in https.tls_dir.iterdir():
        assert (path.stat().st_mode & 0o777, path.stat().st_uid) == (0o600, 0)
    body = key1.splitlines()[1]
    assert body not in first.visible
    assert not [line for line in ps.lines if body in line]
    assert body not in host.ssh.log.read_bytes()[before:].decode(errors="replace")

    cert2, chain2, key2 = https.issue()
    with LoadGenerator(https.url, threads=4, max_requests=60_000, max_seconds=180,
                       context=https.context) as load:  # fmt: skip
        assert load.wait_for(500)
        second = app.deploy("v2", https.inputs(chain2, key2, **{"hsts-max-age": "1d"}))
        assert load.wait_for(load.count() + 300)
    assert second.code == 0, second.log
    assert load.result.failed == 0, load.result.errors
    assert load.result.versions() == ["v1", "v2"]
    assert https.served().serial_number == cert2.serial_number
    name2 = tls.check(chain2, key2, ["localhost"], dt.datetime.now().timestamp()).fingerprint
    assert sorted(p.name for p in https.tls_dir.iterdir()) == [f"{name2}.crt", f"{name2}.key"]


def _steps(result: object) -> list[dict[str, object]]:
    import json

    outputs = getattr(result, "outputs")  # noqa: B009
    return list(json.loads(outputs["hosts"])[0]["steps"])


def test_an_expired_certificate_or_a_wrong_key_changes_nothing(https: Https) -> None:
    app, host = https.app, https.host
    assert app.deploy("v1").code == 0
    now = dt.datetime.now(dt.timezone.utc)
    _cert, expired, expired_key = https.issue(not_before=now - dt.timedelta(days=90),
                                              not_after=now - dt.timedelta(days=1))  # fmt: skip
    _cert, chain, _key = https.issue()
    _cert, _chain, other_key = https.issue()
    before = host.ssh.log.stat().st_size
    for inputs, field in (
        (https.inputs(expired, expired_key), "tls-cert"),
        (https.inputs(chain, other_key), "tls-key"),
    ):
        result = app.deploy("v2", inputs)
        assert result.code == 2, result.log
        assert f"Input '{field}'" in result.visible
        assert other_key.splitlines()[1] not in result.visible
    # Refused on the runner: no SSH session was opened, the host serves v1 as before.
    log = host.ssh.log.read_bytes()[before:].decode(errors="replace")
    assert "Accepted publickey" not in log, log
    assert fetch(app.url) == "v1" and not https.site.exists()
    assert len(host.containers(app.name, all_states=True)) == 1


def test_certificates_an_acme_client_keeps_on_the_host(https: Https) -> None:
    """tls-cert-path/tls-key-path: the action writes the server block around the host's own
    files; a renewal replaces the files and reloads nginx (certbot's --deploy-hook)."""
    app, host = https.app, https.host
    live = host.home / "letsencrypt" / "live" / app.name
    live.mkdir(parents=True)
    _cert, chain, key = https.issue()
    (live / "fullchain.pem").write_text(chain)
    (live / "privkey.pem").write_text(key)
    (live / "privkey.pem").chmod(0o600)
    paths = {
        "tls-cert-path": str(live / "fullchain.pem"), "tls-key-path": str(live / "privkey.pem"),
        "server-name": "localhost", "https-port": str(https.https_port), "http-port": "0",
    }  # fmt: skip
    result = app.deploy("v1", paths)
    assert result.code == 0, result.log
    assert fetch(https.url, https.context) == "v1"
    assert not https.tls_dir.exists() or not list(https.tls_dir.iterdir())
    renewed, chain2, key2 = https.issue()
    (live / "fullchain.pem").write_text(chain2)
    (live / "privkey.pem").write_text(key2)
    host.nginx.reload()
    assert wait_until(lambda: https.served().serial_number == renewed.serial_number, 15)
    again = app.deploy("v2", paths)
    assert again.code == 0, again.log
    (tls_step,) = [s for s in _steps(again) if s["name"] == "tls"]
    assert tls_step["ok"]
    assert fetch(https.url, https.context) == "v2"


def test_a_failed_check_through_tls_puts_back_the_release_and_the_https_that_served(
    https: Https,
) -> None:
    """Files an ACME client keeps, for another name (the runner cannot see them, so only the
    check through TLS can tell): the old release is back, and so are the server block and the
    certificate it served with."""
    app, host = https.app, https.host
    cert1, chain1, key1 = https.issue()
    first = app.deploy("v1", https.inputs(chain1, key1))
    assert first.code == 0, first.log
    block, tls_files = https.site.read_text(), sorted(https.tls_dir.iterdir())
    live = host.home / "letsencrypt" / "live" / app.name
    live.mkdir(parents=True)
    _other, chain2, key2 = https.ca.issue(("other.example",), ())
    (live / "fullchain.pem").write_bytes(chain2)
    (live / "privkey.pem").write_bytes(key2)
    (live / "privkey.pem").chmod(0o600)
    paths = {
        "tls-cert-path": str(live / "fullchain.pem"), "tls-key-path": str(live / "privkey.pem"),
        "server-name": "localhost", "https-port": str(https.https_port),
        "http-port": str(https.http_port),
    }  # fmt: skip
    failed = app.deploy("v2", paths)
    assert failed.outputs["status"] == "rolled-back", failed.log
    (tls_step,) = [s for s in _steps(failed) if s["name"] == "tls"]
    assert not tls_step["ok"]
    assert https.site.read_text() == block
    assert sorted(https.tls_dir.iterdir()) == tls_files
    assert https.served().serial_number == cert1.serial_number
    assert fetch(https.url, https.context) == "v1"
    assert https.get("/", https=False).status == 301
