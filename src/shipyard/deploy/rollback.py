"""mode: rollback. Switch each host to the previous (or named) release: its stopped containers
are started again when they are still there, else re-created from the recorded digest.

Built on the same fleet and lock as the deploy mode; its steps come from :func:`restore`.
Once a host is back, post-rollback runs there (:func:`after_rollback`, as after a deploy's own
revert).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shipyard.runtime import Cleanup

from .compose_steps import ComposeBringBack, ComposeCheck, ComposeStart, ComposeStop
from .container_steps import BringBack, Check, Start, Stop, Switch
from .fleet import Fleet
from .hosts import HostView
from .lock import DeployLock
from .releases import Release, audit_line, previous_release
from .render import ScriptRenderer
from .report import Result
from .spec import Settings
from .steps import Pull, RemoteStep, StepFailed, StepFlow, post_rollback


def restore(
    settings: Settings,
    renderer: ScriptRenderer,
    env: Mapping[str, str],
    host: HostView,
    record: Release,
    audit: Callable[[], str],
) -> StepFlow:
    """The steps that make ``record`` serve on the host again (``renderer`` is for its
    release), then stop the release that served (``audit()``: its audit line) once nginx's
    workers of before the switch have finished their requests (at most drain-timeout)."""
    s, facts, release = settings, host.facts, record.id
    compose = renderer.compose
    kept = (
        any(rel == release for rel, _state in facts.containers.values())
        if compose
        else all(n in facts.containers for n in renderer.names())
    )
    workers: tuple[str, ...]  # nginx's workers of before the switch: the stop waits for them
    if kept:  # start, check and switch in one round trip
        workers = yield (
            ComposeBringBack(renderer, release)
            if compose
            else BringBack(renderer, release, renderer.names())
        )
    else:
        yield Pull(renderer, s.registry_username, s.registry_password, record.ref)
        if compose:
            names = yield ComposeStart(renderer, None, env, release, record.ref)
            yield ComposeCheck(renderer, release, names)
        else:
            names = renderer.names()
            yield Start(renderer, env, image=record.ref)
            yield Check(renderer, names)
        workers = yield Switch(renderer, release, names)
    workers = tuple(workers or ())
    if compose:
        if facts.current:
            yield ComposeStop(renderer, facts.current, s.drain_timeout, audit(), workers=workers)
    else:
        yield Stop(renderer, facts.old, s.drain_timeout, audit(), workers=workers)


def after_rollback(
    fleet: Fleet, name: str, steps: Sequence[RemoteStep[Any]], story: list[str]
) -> bool:
    """Run ``steps`` (post-rollback) once on a host that is back on the release that ran
    before. A failure is reported as an error; the host stays rolled back. False then."""
    for step in steps:
        try:
            fleet.run(name, step)
        except StepFailed as exc:
            message = f"{name}: rolled back, but {exc}"
            story.append(message)
            fleet.runner.annotate("error", message, title=f"{step.name} failed")
            return False
        story.append(f"{name}: {step.name} ran")
    return True


class Rollback:
    """A rollback of every host of the fleet."""

    def __init__(
        self,
        settings: Settings,
        fleet: Fleet,
        lock: DeployLock,
        env: Mapping[str, str],
        cleanup: Cleanup,
        wall: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.fleet = fleet
        self.lock = lock
        self.env = env
        self.cleanup = cleanup
        self.wall = wall
        self.story: list[str] = []
        self.chosen: dict[str, str] = {}  # host name: the release it is rolled back to
        self.hooks_failed: list[str] = []  # hosts back whose post-rollback failed

    def back(self, name: str) -> None:
        """Roll one host back; StepFailed when it has no release to go back to."""
        s, host = self.settings, self.fleet.view(name)
        facts = host.facts
        record = previous_release(facts.records, facts.current, s.to_release)
        if record is None:
            raise StepFailed(
                f"no release to roll back to (current {facts.current or 'none'}, "
                f"wanted {s.to_release or 'the previous one'})"
            )
        self.chosen[name] = record.id
        was_compose = record.id in facts.compose_releases
        if was_compose != bool(s.compose_file):
            raise StepFailed(
                f"release {record.id} was deployed "
                + ("with" if was_compose else "without")
                + " compose-file: roll it back "
                + ("with the same compose-file input" if was_compose else "without compose-file")
            )
        self.fleet.mark(name, status="working")
        renderer = self.fleet.renderer.for_release(record.id)

        def audit() -> str:
            return audit_line(
                "rollback", record.id, self.wall(), renderer.run_url, renderer.actor,
                previous=facts.current,
            )  # fmt: skip

        self.fleet.run_flow(name, restore(s, renderer, self.env, host, record, audit))
        self.fleet.mark(name, status="rolled-back")
        if s.post_rollback:
            hook = post_rollback(renderer, s.post_rollback, facts.current)
            if not after_rollback(self.fleet, name, [hook], self.story):
                self.hooks_failed.append(name)

    def result_so_far(self) -> Result:
        """After a cancel: what the run left (failed when a host was cut half way)."""
        views = self.fleet.views()
        done = all(h.state.status in ("rolled-back", "untouched") for h in views)
        release = next(iter(self.chosen.values()), self.settings.to_release or "")
        previous = next((h.facts.current for h in views if h.facts.current), "")
        story = [*self.story, "the rollback was cancelled"]
        wanted = self.settings.to_release or "the previous release"
        return Result(
            "rolled-back" if done else "failed", release, previous, views, story,
            [f"Roll back {self.settings.app} to {wanted}"], tuple(self.hooks_failed),
        )  # fmt: skip

    def run(self) -> Result:
        """Lock and read every host, roll each back; the result for the report."""
        fleet = self.fleet
        self.cleanup.push(self.lock.release_all, "release the deploy locks")
        self.lock.take_all()
        previous = next((h.facts.current for h in fleet.views() if h.facts.current), "")
        if not any(h.state.error for h in fleet.views()) and not self.settings.dry_run:
            fleet.each(fleet.names, self.back, "rollback")
        for host in fleet.views():
            if host.state.error:
                self.story.append(f"{host.name}: {host.state.error}")
        release = next(iter(self.chosen.values()), self.settings.to_release or "")
        ok = not any(h.state.error for h in fleet.views())
        status = ("planned" if self.settings.dry_run else "rolled-back") if ok else "failed"
        wanted = self.settings.to_release or "the previous release"
        then = ", then post-rollback on each host" if self.settings.post_rollback else ""
        return Result(
            status, release, previous, fleet.views(), self.story,
            [f"Roll back {self.settings.app} to {wanted}{then}"], tuple(self.hooks_failed),
        )  # fmt: skip
