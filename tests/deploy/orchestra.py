"""A deploy or rollback built from its parts on the in-memory fleet, as ``__main__`` builds it
on SSH: settings, fleet, lock, strategy, mode, report; a cancel handled as the runtime does."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from shipyard.deploy import modes, plan, report, strategies
from shipyard.deploy.compose import ComposeApp, parse
from shipyard.deploy.fleet import Fleet
from shipyard.deploy.hosts import HostView
from shipyard.deploy.local_files import LocalFiles
from shipyard.deploy.lock import DeployLock
from shipyard.deploy.ops_report import OpsResult
from shipyard.deploy.releases import LockHolder
from shipyard.deploy.site import SiteConfig
from shipyard.deploy.spec import Settings
from shipyard.deploy.targets import parse_targets
from shipyard.runtime import Cleanup, FakeClock, Runner, parse_settings
from tests.deploy.memory_fleet import MemoryFleet, no_env

OLD, NEW = "20260101000000-r1", "20260102000000-r2"
COMPOSE = """services:
  web:
    image: ${SHIPYARD_IMAGE}
    expose: ["8080"]
  worker:
    image: ${SHIPYARD_IMAGE}
"""


def settings(hosts: list[str], **extra: str) -> Settings:
    """Deploy settings for ``hosts`` (``name`` each); ``extra`` by input name."""
    values = {
        "hosts": "\n".join(f"{name}=10.0.0.{i}" for i, name in enumerate(hosts, 1)),
        "ssh-key": "KEY",
        "known-hosts": "* ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9oA",
        "app": "api",
        "image": "reg/api:2",
        "monitor": "0",
        "lock-wait": "5s",
        "drain-timeout": "1s",
        **extra,
    }
    return parse_settings(Settings, values)


class CancellingClock(FakeClock):
    """A FakeClock whose sleep of ``seconds`` (the Nth such) is cut by a cancel."""

    def __init__(self, seconds: float, nth: int = 1) -> None:
        super().__init__(1_700_000_000.0)
        self.cut, self.nth = seconds, nth

    def sleep(self, seconds: float) -> None:
        if seconds == self.cut:
            self.nth -= 1
            if self.nth == 0:
                raise KeyboardInterrupt("signal 15 (simulated)")
        super().sleep(seconds)


@dataclass
class Run:
    """What a run left: its result (None when cancelled), the log, the hosts' views."""

    result: report.Result | OpsResult | None
    cancelled: bool
    error: Exception | None
    log: str
    hosts: list[HostView] = field(default_factory=list)
    left: report.Result | None = None  # after a cancel: what the mode says it left

    def steps(self, host: str) -> list[str]:
        """The host's steps, as the hosts output names them."""
        (view,) = [h for h in self.hosts if h.name == host]
        return [record.name for record in view.log]

    def status(self, host: str) -> str:
        """The host's result."""
        (view,) = [h for h in self.hosts if h.name == host]
        return view.state.status


def compose_app() -> ComposeApp:
    """A two-service app routed to ``web``."""
    return parse(COMPOSE, 8080, None)


def run(
    sims: MemoryFleet,
    s: Settings,
    *,
    clock: FakeClock | None = None,
    release: str = NEW,
    space: int = 0,
    site: SiteConfig | None = None,
    page: str | None = None,
) -> Run:
    """Build the mode from its parts on ``sims`` and run it (``space``: the bytes the disk
    check asks for; ``site``: HTTPS); a cancel (SIGTERM, or a KeyboardInterrupt from the clock)
    is handled as the runtime handles it: the cleanups run."""
    clock = clock or sims.clock
    stream = io.StringIO()
    runner = Runner(env=no_env(), stream=stream)
    cleanup = Cleanup(warn=lambda message: runner.annotate("warning", message))
    targets = parse_targets(s.hosts, s.user)
    renderer = strategies.renderer_for(s, release, "https://github.example/o/r/runs/2", "octocat")
    fleet = Fleet(targets, sims, renderer, runner, cleanup, command_timeout=s.command_timeout)
    holder = LockHolder.new(renderer.run_url, renderer.actor, clock.now(), s.lock_ttl, release)
    compose = compose_app() if s.compose_file else None
    lock = DeployLock(fleet, holder, app=s.app, wait=s.lock_wait, compose=compose is not None,
                      clock=clock, wall=clock.now, space=space, image=s.image,
                      space_why="2 x the image's size")  # fmt: skip
    files = LocalFiles(dict(s.env), compose, page)
    mode: Any = modes.mode_for(s, fleet, lock, files, site, cleanup, clock, clock.now)
    result, cancelled, error = None, False, None
    with cleanup.signals():
        try:
            fleet.connect()
            result = mode.run()
        except KeyboardInterrupt:
            cancelled = True
        except Exception as exc:  # the runtime reports it; the test looks at it
            error = exc
        finally:
            cleanup.run_all()
    left = mode.result_so_far() if cancelled else None
    return Run(result, cancelled, error, stream.getvalue(), fleet.views(), left)


def planned(run_: Run) -> str:
    """The plan's steps line of a dry run."""
    assert run_.result is not None
    (line,) = [x for x in run_.result.plan if x.startswith("Steps per host: ")]
    return line.removeprefix("Steps per host: ")


def ran(run_: Run, host: str) -> str:
    """The host's steps as a plan line (``watch-1..N`` for the watch's checks)."""
    names = run_.steps(host)
    watches = [n for n in names if n.startswith("watch-")]
    if len(watches) > 1:
        at = names.index(watches[0])
        names = [n for n in names if not n.startswith("watch-")]
        names.insert(at, f"watch-1..{len(watches)}")
    return " -> ".join(names)


__all__ = ["NEW", "OLD", "CancellingClock", "Run", "compose_app", "plan", "planned", "ran", "run"]
