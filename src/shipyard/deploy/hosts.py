"""What the action knows of each host: immutable state, and one append-only step log (pure).

:class:`HostFacts` is what the lock step read on the host (the release serving, the app's
containers, the release records); :class:`HostState` is the host's place in this run (status,
error, whether this run holds its lock). Both are frozen: the fleet replaces a host's state as a
whole, under its lock, and nothing else writes it. :class:`StepLog` holds every step that ran on
the host, in order, with its parsed result; only the fleet's runner appends to it. What the run
did on a host (its image digest, the containers it started, the access log's size at the switch)
is read from the log, never kept a second time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .releases import Release
from .targets import Target

Status = Literal["untouched", "working", "deployed", "rolled-back", "failed", "done"]
S = TypeVar("S")


@dataclass(frozen=True)
class HostFacts:
    """What the lock step found on the host before this run changed anything."""

    current: str = ""  # the release serving
    containers: Mapping[str, tuple[str, str]] = field(
        default_factory=dict
    )  # name: (release, state)
    records: tuple[Release, ...] = ()
    compose_releases: frozenset[str] = frozenset()  # releases deployed with compose-file

    @property
    def old(self) -> list[str]:
        """The containers of the release serving (sorted)."""
        if not self.current:
            return []
        return sorted(
            n for n, (release, _state) in self.containers.items() if release == self.current
        )


@dataclass(frozen=True)
class StepRecord:
    """One step that ran on a host: how it ended, how long it took, the tail of its output, and
    the step itself with its parsed result (None when it failed)."""

    name: str
    ok: bool
    code: int
    seconds: float
    tail: str = ""
    step: object = None
    value: object = None


class StepLog:
    """Every step of one host, in order; append-only (the fleet's runner is its one writer)."""

    def __init__(self) -> None:
        self._records: list[StepRecord] = []
        self._lock = threading.Lock()

    def append(self, record: StepRecord) -> None:
        """Add the record of a step that ended (or was interrupted)."""
        with self._lock:
            self._records.append(record)

    def __iter__(self) -> Iterator[StepRecord]:
        with self._lock:
            return iter(tuple(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def of(self, kind: type[S]) -> list[tuple[S, Any]]:
        """``(step, parsed value)`` of every step of ``kind``, in order."""
        return [(r.step, r.value) for r in self if isinstance(r.step, kind)]


@dataclass(frozen=True)
class HostState:
    """One host's place in this run."""

    target: Target
    status: Status = "untouched"
    error: str = ""
    facts: HostFacts = field(default_factory=HostFacts)
    locked: bool = False  # this run holds the host's deploy lock
    unfit: str = ""  # why the host cannot take this deploy at all (no docker compose v2)
    no_space: str = ""  # docker's data root has no room for the image (disk check)

    @property
    def name(self) -> str:
        """The host's name in the report."""
        return self.target.name


@dataclass(frozen=True)
class HostView:
    """A host's state with its step log, as strategies and the report read them."""

    state: HostState
    log: StepLog

    @property
    def name(self) -> str:
        """The host's name in the report."""
        return self.state.target.name

    @property
    def facts(self) -> HostFacts:
        """What the lock step found on the host."""
        return self.state.facts

    @property
    def new(self) -> list[str]:
        """The containers this run started (or tried to start) on the host."""
        names: list[str] = []
        for record in self.log:
            created = getattr(record.step, "created", None)
            if created is not None:
                names += [n for n in created(record.value) if n not in names]
        return names

    def last(self, kind: type[Any], default: Any) -> Any:
        """The parsed value of the last successful step of ``kind``, else ``default``."""
        found = [value for _step, value in self.log.of(kind) if value is not None]
        return found[-1] if found else default
