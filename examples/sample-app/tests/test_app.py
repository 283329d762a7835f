"""The sample app's own tests: the pure routing and one real server on a free port."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from app import __version__
from app.__main__ import run
from app.server import Config, respond, serve


def test_root_answers_with_the_version() -> None:
    status, content_type, body = respond(Config(version="2.0.0"), "/")
    assert status == 200
    assert content_type == "application/json"
    assert json.loads(body) == {"app": "sample-app", "version": "2.0.0"}


def test_health_and_unknown_paths() -> None:
    assert respond(Config(version="v1"), "/health") == (200, "text/plain; charset=utf-8", "ok v1\n")
    assert respond(Config(), "/nope")[0] == 404
    assert respond(Config(), "/version?x=1")[2] == f"{__version__}\n"


def test_unhealthy_after_some_seconds() -> None:
    config = Config(unhealthy_after=5, started=100.0)
    assert config.healthy(now=104.0)
    assert not config.healthy(now=105.0)
    assert respond(Config(unhealthy_after=0), "/health")[0] == 503


def test_config_from_the_environment() -> None:
    config = Config.from_env({"APP_VERSION": "3.1.4", "PORT": "9000", "UNHEALTHY_AFTER": "0"})
    assert (config.version, config.port, config.unhealthy_after) == ("3.1.4", 9000, 0.0)
    assert Config.from_env({}).version == __version__


@pytest.fixture
def base_url() -> Iterator[str]:
    server = serve(Config(version="test", port=0), host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_real_server_answers(base_url: str) -> None:
    with urllib.request.urlopen(f"{base_url}/health", timeout=5) as answer:  # noqa: S310
        assert answer.status == 200
        assert answer.read() == b"ok test\n"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{base_url}/missing", timeout=5)  # noqa: S310
    assert missing.value.code == 404


def test_run_serves_until_stopped() -> None:
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=run, args=(Config(version="main", port=0), stop, lines.append), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not lines and time.monotonic() < deadline:
        time.sleep(0.05)
    port = lines[0].rsplit(":", 1)[1]
    assert lines[0].startswith("sample-app main listening on :")
    url = f"http://127.0.0.1:{port}/version"
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
        assert answer.read() == b"main\n"
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_migrate_speaks_resp_to_a_server(tmp_path: object) -> None:
    """app.migrate sends SET schema <version> in RESP and checks the +OK."""
    import socket

    from app.migrate import command, migrate

    assert command("SET", "schema", "1.2") == b"*3\r\n$3\r\nSET\r\n$6\r\nschema\r\n$3\r\n1.2\r\n"
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            received.append(conn.recv(512))
            conn.sendall(b"+OK\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    assert migrate(f"redis://127.0.0.1:{port}", "1.2") == "+OK"
    thread.join(timeout=5)
    server.close()
    assert received == [command("SET", "schema", "1.2")]
