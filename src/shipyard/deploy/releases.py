"""Release records, the append-only audit log and the lock record: their formats (pure).

On each host, under ``<state-dir>/<app>/``: ``releases/<id>.json`` (one record per release,
rewritten when its result is known), ``audit.log`` (one JSON line per event, only appended),
``current`` (the release serving) and ``lock/`` (a directory made atomically; ``holder.json``,
``id``, ``started``, ``ttl`` inside).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Release:
    """What is recorded of one release on a host."""

    id: str
    image: str
    digest: str
    started: float
    run_url: str
    actor: str
    result: str  # started, deployed, rolled-back, failed, replaced
    replicas: int = 1

    def to_json(self) -> str:
        """The record as one JSON line."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Release | None:
        """A record from its JSON (None when it is not one)."""
        try:
            data = json.loads(text)
            return cls(
                id=str(data["id"]),
                image=str(data["image"]),
                digest=str(data.get("digest", "")),
                started=float(data.get("started", 0)),
                run_url=str(data.get("run_url", "")),
                actor=str(data.get("actor", "")),
                result=str(data.get("result", "")),
                replicas=int(data.get("replicas", 1)),
            )
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def ref(self) -> str:
        """The image by digest when it is known (re-creating a release pulls exactly it)."""
        return self.digest or self.image


def audit_line(
    event: str, release: str, when: float, run_url: str, actor: str, **extra: object
) -> str:
    """One line of the audit log (JSON): the event, the release, when, by which run."""
    record: dict[str, object] = {"event": event, "release": release, "time": round(when, 3)}
    record.update(run_url=run_url, actor=actor, **extra)
    return json.dumps(record, sort_keys=True)


@dataclass(frozen=True)
class LockHolder:
    """Who holds a deploy lock (``lock/holder.json`` on the host)."""

    id: str
    run_url: str
    actor: str
    started: float
    ttl: float
    release: str

    def to_json(self) -> str:
        """The record as one JSON line."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def new(cls, run_url: str, actor: str, started: float, ttl: float, release: str) -> LockHolder:
        """This run as a lock holder, with a fresh random id."""
        import secrets

        return cls(secrets.token_hex(8), run_url, actor, started, ttl, release)

    @classmethod
    def from_json(cls, text: str) -> LockHolder | None:
        """A holder from its JSON (None when it is not one)."""
        try:
            data = json.loads(text)
            return cls(
                str(data["id"]), str(data["run_url"]), str(data["actor"]),
                float(data["started"]), float(data["ttl"]), str(data["release"]),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self, now: float) -> str:
        """The holder in words: run, actor, release and age at ``now``."""
        age = max(0.0, now - self.started)
        who = self.run_url or "an unknown run"
        return f"{who} (by {self.actor or 'unknown'}, release {self.release}, {age:.0f}s ago)"


def previous_release(
    records: Iterable[Release], current: str, wanted: str | None = None
) -> Release | None:
    """The release to roll back to: ``wanted`` if named, else the newest deployed before current."""
    by_id = {r.id: r for r in records}
    if wanted:
        return by_id.get(wanted)
    candidates = sorted(
        (r for r in by_id.values() if r.id != current and r.id < (current or "~")),
        key=lambda r: r.id,
        reverse=True,
    )
    return next((r for r in candidates if r.result in ("deployed", "replaced")), None)
