"""A local stand-in for OSV's query API (`POST /v1/query`), serving the records of an OSV
directory, so the real pip-audit can run offline against the same data as the audit.

It decides what is affected from each record's enumerated `versions` list only (not from its
ranges, which is what the audit evaluates), so comparing the two is a real check.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import Version


def load_records(root: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(root.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            records.append(data)
    return records


def affected_by_versions(record: dict[str, Any], name: str, version: str) -> bool:
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI":
            continue
        if canonicalize_name(package.get("name", "")) != canonicalize_name(name):
            continue
        # PEP 440 equality, as OSV's service compares PyPI versions (3.2 == 3.2.0).
        if Version(version) in [Version(str(v)) for v in affected.get("versions", [])]:
            return True
    return False


def _rfc3339(value: object) -> str:
    """YAML reads unquoted timestamps as datetimes; OSV's API writes them RFC 3339, UTC."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


@contextmanager
def osv_server(root: Path) -> Iterator[str]:
    """Serve `root`'s records; yields the query URL."""
    records = load_records(root)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            query = json.loads(self.rfile.read(length))
            name, version = query["package"]["name"], query["version"]
            hits = [r for r in records if affected_by_versions(r, name, version)]
            body = json.dumps({"vulns": hits} if hits else {}, default=_rfc3339).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        server.server_close()
