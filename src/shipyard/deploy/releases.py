"""Release records, the append-only audit log and the lock record: their formats (pure).

On each host, under ``<state-dir>/<app>/``: ``releases/<id>.json`` (one record per release,
rewritten when its result is known), ``audit.log`` (one JSON line per event, only appended),
``current`` (the release serving) and ``lock/`` (a directory made atomically; ``holder.json``,
``id``, ``started``, ``ttl`` inside).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Release | None:
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
    record: dict[str, object] = {"event": event, "release": release, "time": round(when, 3)}
    record.update(run_url=run_url, actor=actor, **extra)
    return json.dumps(record, sort_keys=True)


@dataclass(frozen=True)
class LockHolder:
    id: str
    run_url: str
    actor: str
    started: float
    ttl: float
    release: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockHolder | None:
        try:
            data = json.loads(text)
            return cls(
                str(data["id"]), str(data["run_url"]), str(data["actor"]),
                float(data["started"]), float(data["ttl"]), str(data["release"]),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self, now: float) -> str:
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


def parse_markers(output: str) -> list[list[str]]:
    """The ``@@shipyard <word> ...`` lines a remote script printed, split into words."""
    return [line.split()[1:] for line in output.splitlines() if line.startswith("@@shipyard ")]


def marker_values(output: str, kind: str) -> list[list[str]]:
    return [words[1:] for words in parse_markers(output) if words and words[0] == kind]


def json_markers(output: str, kind: str) -> list[Mapping[str, object]]:
    prefix = f"@@shipyard {kind} "
    found = []
    for line in output.splitlines():
        if line.startswith(prefix):
            try:
                found.append(json.loads(line[len(prefix) :]))
            except ValueError:
                continue
    return found
