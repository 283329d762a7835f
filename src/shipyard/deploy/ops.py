"""What modes exec, logs, status and maintenance share: one step per host, run in parallel on
the fleet, each host's value turned into its ``details`` entry.

A mode subclasses :class:`OpsMode` with its step (:meth:`~OpsMode.step`) and how a value
reads (:meth:`~OpsMode.detail`, :meth:`~OpsMode.text`); ``run`` does the rest: the hosts'
steps in parallel (a failed one becomes the host's error), the output in one group per host,
the result for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .fleet import Fleet
from .ops_report import OpsResult
from .spec import Settings
from .steps import RemoteStep


class OpsMode:
    """One step on each host; the result for the report (see the module)."""

    mode = ""

    def __init__(self, settings: Settings, fleet: Fleet, wall: Callable[[], float]) -> None:
        self.settings = settings
        self.fleet = fleet
        self.wall = wall
        self.story: list[str] = []
        self.values: dict[str, Any] = {}

    # -- what a mode says -------------------------------------------------------------------
    def hosts(self) -> list[str]:
        """The hosts the mode works on (default: all)."""
        return self.fleet.names

    def step(self, name: str) -> RemoteStep[Any]:
        """The host's step."""
        raise NotImplementedError

    def detail(self, name: str, value: Any) -> dict[str, object]:
        """The host's entry of the details output (``value``: None when the step failed)."""
        return {}

    def text(self, value: Any) -> str | None:
        """What the host printed, for the summary (None: nothing to show)."""
        return None

    def release(self, name: str, value: Any) -> str:
        """The live release on the host ('' when none)."""
        return ""

    def ok(self, value: Any) -> bool:
        """Whether the host's value is a success (exec: the command exited 0)."""
        return True

    def prepare(self) -> bool:
        """Before the steps (maintenance takes the lock); False: do not run them."""
        return True

    # -- the run ----------------------------------------------------------------------------
    def one(self, name: str) -> None:
        """The host's step; its value kept."""
        self.fleet.mark(name, status="working")
        self.values[name] = self.fleet.run(name, self.step(name))
        self.fleet.mark(name, status="done")

    def run(self) -> OpsResult:
        """Each host's step in parallel; the result."""
        names = self.hosts()
        go = self.prepare() and not any(self.fleet.state(n).error for n in names)
        if go:
            self.fleet.each(names, self.one, self.mode)
        for name in names:
            error = self.fleet.state(name).error
            if error:
                self.fleet.mark(name, status="failed")
                self.story.append(f"{name}: {error}")
        details, texts = [], {}
        for name in names:
            value = self.values.get(name)
            entry: dict[str, object] = {"host": name, **self.detail(name, value)}
            entry["error"] = self.fleet.state(name).error
            details.append(entry)
            text = self.text(value) if value is not None else None
            if text is not None:
                texts[name] = text
        release = next((r for n, v in self.values.items() if (r := self.release(n, v))), "")
        failed = any(self.fleet.state(n).error for n in names) or not all(
            self.ok(v) for v in self.values.values()
        )
        status = "failed" if failed else ("ok" if go else "planned")
        views = [self.fleet.view(n) for n in names]
        return OpsResult(self.mode, status, release, views, details, self.story, texts)
