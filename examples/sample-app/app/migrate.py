"""``python -m app.migrate``: the sample app's database migrations, as a deploy runs them
(deploy's migrate-command, in a one-off container of the new image before the switch).

The sample keeps no tables: its one migration records the schema version (the release's
``APP_VERSION``) in Redis when ``REDIS_URL`` is set, with a plain RESP exchange, and otherwise
says there is nothing to migrate."""

from __future__ import annotations

import os
import socket
import sys
import urllib.parse


def command(*words: str) -> bytes:
    """One Redis command in RESP (an array of bulk strings)."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def migrate(redis_url: str, version: str, timeout: float = 10.0) -> str:
    """SET schema <version>; the server's answer (``+OK``) or a ValueError."""
    url = urllib.parse.urlsplit(redis_url)
    with socket.create_connection((url.hostname or "localhost", url.port or 6379), timeout) as s:
        s.sendall(command("SET", "schema", version))
        answer = s.recv(512).decode(errors="replace").strip()
    if answer != "+OK":
        raise ValueError(f"redis answered {answer!r}")
    return answer


def main() -> int:
    version = os.environ.get("APP_VERSION", "dev")
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print(f"migrations: nothing to migrate for {version} (no REDIS_URL)")
        return 0
    migrate(redis_url, version)
    print(f"migrations: schema is now {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
