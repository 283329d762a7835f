"""How old the vulnerability data is (reads the databases' files; the report words it).

An OSV directory: the newest ``modified`` date among its records (read from each record's
``modified`` line, without parsing the whole record), else the directory's modification
time. trivy's DB: the ``UpdatedAt`` of its ``metadata.json``. pip-audit's online service is
live.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from .outcome import Database

MODIFIED = re.compile(r"""^\s*"?modified"?\s*:\s*["']?([0-9][0-9T:.+Z-]+)""", re.MULTILINE)
SUFFIXES = (".json", ".yaml", ".yml")


def parse_time(text: str) -> dt.datetime | None:
    """An RFC 3339 time (``Z`` or an offset; nanoseconds cut to microseconds), in UTC."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?", text)
    if match is None:
        return None
    fraction = (match.group(2) + "000000")[:7] if match.group(2) else ""
    zone = match.group(3) or "Z"
    value = dt.datetime.fromisoformat(match.group(1) + fraction + zone.replace("Z", "+00:00"))
    return value.astimezone(dt.timezone.utc)


def osv_directory(root: Path, name: str) -> tuple[Database, int]:
    """The OSV directory's age and how many record files it holds."""
    newest: dt.datetime | None = None
    count = 0
    for path in root.rglob("*"):
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        count += 1
        try:
            head = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for found in MODIFIED.findall(head):
            when = parse_time(found)
            if when is not None and (newest is None or when > newest):
                newest = when
    if newest is not None:
        return Database(name, newest, "newest record's `modified`"), count
    mtime = dt.datetime.fromtimestamp(root.stat().st_mtime, tz=dt.timezone.utc)
    return Database(name, mtime, "the directory's modification time"), count


def trivy_db(metadata: Path) -> Database:
    """trivy's vulnerability DB, from its metadata.json (``UpdatedAt``)."""
    try:
        data = json.loads(metadata.read_text(encoding="utf-8"))
        when = parse_time(str(data.get("UpdatedAt", ""))) if isinstance(data, dict) else None
    except (OSError, ValueError):
        when = None
    return Database("trivy vulnerability DB", when, "its metadata.json" if when else "")
