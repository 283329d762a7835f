"""How a release replaces the one serving on a host: blue-green, rolling, recreate, compose (pure).

A strategy yields step values (:mod:`.steps`) and never runs one: the deploy mode runs them on
the hosts, the plan names them without running them. Every strategy has the same parts:

- :meth:`Strategy.rollout`: everything up to and including the switch and the hooks after it
  (pull, pre-deploy, migrate, the strategy's own :meth:`~Strategy.replace`, post-deploy, smoke);
- :meth:`Strategy.watch`: one check of the watch after the switch;
- :meth:`Strategy.finish`: after the watch (drain and stop the old release, record);
- :meth:`Strategy.revert`: the steps that put the release that ran before back (idempotent,
  so the mode may make them again), then :meth:`Strategy.record` of the result, then
  :meth:`Strategy.after_revert` (post-rollback, once) on a host the rollout
  :meth:`~Strategy.changed`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import health
from .compose import ComposeApp
from .compose_steps import ComposeCheck, ComposeRevert, ComposeStart, ComposeStop, watch_extra
from .container_steps import Check, Replica, Revert, Start, Stop, Switch
from .hosts import HostView
from .images import PruneImages
from .releases import Release, audit_line
from .render import ScriptRenderer
from .site import Site, SiteConfig
from .spec import Settings
from .steps import (
    Hook,
    LogSize,
    Migrate,
    Pull,
    Record,
    RemoteStep,
    StepFailed,
    StepFlow,
    Watch,
    post_rollback,
)

REVERT_HEALTH_TIMEOUT = 60.0  # seconds the old release's containers get to answer again


@dataclass(frozen=True)
class Deployment:
    """What every strategy needs to know of the release this run deploys."""

    settings: Settings
    renderer: ScriptRenderer  # for the new release
    env: Mapping[str, str]  # the app's environment (env-file overlaid by env)
    compose: ComposeApp | None
    wall: Callable[[], float]  # the time of day, for the records
    site: SiteConfig | None = None  # HTTPS: the server block and certificate

    @property
    def release(self) -> str:
        """The new release's id."""
        return self.renderer.release


def renderer_for(settings: Settings, release: str, run_url: str, actor: str) -> ScriptRenderer:
    """The script renderer of ``release`` from the settings."""
    s = settings
    return ScriptRenderer(
        app=s.app, state_dir=s.state_dir, image=s.image, port=s.port, release=release,
        replicas=s.replicas,
        health_attempts=health.attempts(s.health_timeout, s.health_interval),
        health_interval=s.health_interval, health_path=s.health_path, proxy=s.proxy,
        proxy_config=s.upstream_path, proxy_check=s.proxy_check, proxy_reload=s.proxy_reload,
        volumes=tuple(s.volumes), run_url=run_url, actor=actor, compose=bool(s.compose_file),
    )  # fmt: skip


class Strategy:
    """The parts every strategy shares; subclasses say how the new release replaces the old."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.settings = deployment.settings
        self.renderer = deployment.renderer

    # -- forward ----------------------------------------------------------------------------
    def rollout(self, host: HostView) -> StepFlow:
        """Everything up to and including the switch, and the hooks after it."""
        s, r = self.settings, self.renderer
        yield Pull(r, s.registry_username, s.registry_password)
        if s.pre_deploy:
            yield Hook(r, s.pre_deploy, "pre-deploy")
        if s.migrate_command:
            yield Migrate(r, s.migrate_command, self.deployment.env)
        yield from self.replace(host)
        if self.deployment.site is not None:
            yield Site(r, self.deployment.site)
        extra = {"SHIPYARD_PREVIOUS_RELEASE": host.facts.current}
        if s.post_deploy:  # SHIPYARD_UPSTREAMS: the containers just started and switched to
            yield Hook(r, s.post_deploy, "post-deploy", extra, tuple(host.new))
        if s.smoke_command:
            yield Hook(r, s.smoke_command, "smoke", extra, tuple(host.new))
        if s.proxy_access_log and s.monitor > 0:
            yield LogSize(r, s.proxy_access_log)

    def replace(self, host: HostView) -> StepFlow:
        """The new release in, the old one out of the proxy (the strategy's own part)."""
        raise NotImplementedError

    def checks(self) -> int:
        """How many checks the watch makes (0: no watch)."""
        s = self.settings
        return max(1, math.ceil(s.monitor / s.monitor_interval)) if s.monitor > 0 else 0

    def watch(self, host: HostView, number: int) -> Watch:
        """Check ``number`` of the watch: the new containers healthy, the error rate."""
        s = self.settings
        since = host.last(LogSize, 0)
        return Watch(
            self.renderer, host.new, s.proxy_access_log, since, number, self._watch_extra()
        )

    def _watch_extra(self) -> str:
        return ""

    def stops_old_after_watch(self) -> bool:
        """Whether the old release still runs after the watch (blue-green: until then it is
        what a revert switches back to)."""
        return False

    def finish(self, host: HostView) -> StepFlow:
        """After the watch: drain and stop the old release (blue-green), record the release."""
        s = self.settings
        if host.facts.old and self.stops_old_after_watch():
            drain = max(0.0, s.drain_timeout - (s.monitor if s.monitor > 0 else 0))
            yield self.stop_old(host, drain)
        yield self.record(host, "deployed")
        yield PruneImages(self.renderer, s.keep_releases)

    def stop_old(self, host: HostView, drain: float) -> RemoteStep[Any]:
        """Drain, then stop the release that served before."""
        return Stop(self.renderer, host.facts.old, drain)

    def record(self, host: HostView, result: str) -> Record:
        """Record the release on the host with ``result`` (deployed, rolled-back)."""
        s, r, now = self.settings, self.renderer, self.deployment.wall()
        digest = host.last(Pull, "")
        record = Release(r.release, s.image, digest, now, r.run_url, r.actor, result, s.replicas)
        audit = audit_line(
            result, r.release, now, r.run_url, r.actor,
            image=s.image, digest=digest, previous=host.facts.current,
        )  # fmt: skip
        return Record(r, record.to_json(), audit, r.release, s.keep_releases)

    # -- back -------------------------------------------------------------------------------
    def revert_renderer(self) -> ScriptRenderer:
        """The renderer of a revert: the old release answered before this deploy, so its
        containers get at least REVERT_HEALTH_TIMEOUT to answer again, however short
        health-timeout is for new ones."""
        r = self.renderer
        attempts = health.attempts(REVERT_HEALTH_TIMEOUT, self.settings.health_interval)
        return r.with_health_attempts(max(r.health_attempts, attempts))

    def revert_drain(self, host: HostView) -> float:
        """How long a revert lets nginx's workers of before its switch finish their requests
        to the new release: drain-timeout once a switch to it was made (or begun), else 0 (it
        took no traffic)."""
        switched = any(isinstance(record.step, (Switch, Replica)) for record in host.log)
        return self.settings.drain_timeout if switched else 0.0

    def revert(self, host: HostView, attempt: int) -> list[RemoteStep[Any]]:
        """Put the release that ran before back: start its containers, check them, switch to
        them, drain, remove the new ones (``attempt`` > 1: made again after a failure)."""
        name = f"rollback-{attempt}" if attempt > 1 else "rollback"
        facts = host.facts
        return [
            Revert(
                self.revert_renderer(), facts.current, facts.old, host.new, name,
                self.revert_drain(host),
            )
        ]  # fmt: skip

    def changed(self, host: HostView) -> bool:
        """Whether the rollout got to change the host: it ran migrate-command or a step of
        :meth:`replace` (a container started, the old release stopped, the proxy switched).
        A host whose rollout ended at the pull or pre-deploy has nothing put back, so nothing
        to restore (a backup that failed is never restored over the data)."""
        kinds: tuple[type, ...] = (Migrate, *(type(s) for s in planned_steps(self.replace(host))))
        return any(isinstance(record.step, kinds) for record in host.log)

    def after_revert(self, host: HostView) -> list[RemoteStep[Any]]:
        """Once the release that ran before serves again and the result is recorded, on a host
        the rollout :meth:`changed`: post-rollback. Made once, never again with a retried
        revert (a restore or a down-migration is not idempotent)."""
        s, r = self.settings, self.renderer
        return [post_rollback(r, s.post_rollback, r.release)] if s.post_rollback else []


class BlueGreen(Strategy):
    """Start the new release beside the old one, check it, switch; stop the old after the
    watch."""

    def stops_old_after_watch(self) -> bool:
        """Yes: the old release ran beside the new one."""
        return True

    def replace(self, host: HostView) -> StepFlow:
        """Start, check, switch."""
        r = self.renderer
        names = r.names()
        yield Start(r, self.deployment.env)
        yield Check(r, names)
        yield Switch(r, r.release, names)


class Recreate(BlueGreen):
    """Stop the old release first, then as blue-green (for apps that cannot run twice)."""

    def stops_old_after_watch(self) -> bool:
        """No: it was stopped before the new release started."""
        return False

    def replace(self, host: HostView) -> StepFlow:
        """Stop the old release, then start, check, switch."""
        if host.facts.old:
            yield self.stop_old(host, 0)
        yield from super().replace(host)


class Rolling(Strategy):
    """Replace replicas one at a time (each started, checked, put in, the old one taken out),
    so capacity never drops."""

    def replace(self, host: HostView) -> StepFlow:
        """One step per replica."""
        old, drain = host.facts.old, self.settings.drain_timeout
        for index in range(1, self.renderer.replicas + 1):
            yield Replica(self.renderer, self.deployment.env, index, old, drain)


class Compose(Strategy):
    """compose-file: the release's project beside the old one (recreate: instead of it)."""

    def __init__(self, deployment: Deployment, app: ComposeApp) -> None:
        super().__init__(deployment)
        self.app = app

    def replace(self, host: HostView) -> StepFlow:
        """(Recreate: stop the old project,) bring the new one up, check it, switch."""
        r, s, facts = self.renderer, self.settings, host.facts
        if s.strategy == "recreate" and facts.current and facts.old:
            yield self.stop_old(host, 0)
        names = yield ComposeStart(r, self.app, self.deployment.env, r.release, s.image)
        if not names:
            raise StepFailed("start: the routed service has no container")
        yield ComposeCheck(r, r.release, names)
        yield Switch(r, r.release, names)

    def stops_old_after_watch(self) -> bool:
        """Blue-green: yes; recreate: it was stopped first."""
        return self.settings.strategy == "blue-green"

    def _watch_extra(self) -> str:
        return watch_extra(self.renderer, self.renderer.release)

    def stop_old(self, host: HostView, drain: float) -> RemoteStep[Any]:
        """Drain, then stop the old release's project (kept for a rollback)."""
        return ComposeStop(self.renderer, host.facts.current, drain)

    def revert(self, host: HostView, attempt: int) -> list[RemoteStep[Any]]:
        """Start the old project again and switch to it (when there is one); remove the new."""
        name = f"rollback-{attempt}" if attempt > 1 else "rollback"
        old_release = host.facts.current if host.facts.old else ""
        return [
            ComposeRevert(
                self.revert_renderer(), old_release, self.renderer.release, name,
                self.revert_drain(host),
            )
        ]  # fmt: skip


def strategy_for(deployment: Deployment) -> Strategy:
    """The strategy the settings ask for."""
    if deployment.compose is not None:
        return Compose(deployment, deployment.compose)
    kinds: dict[str, type[Strategy]] = {
        "blue-green": BlueGreen,
        "rolling": Rolling,
        "recreate": Recreate,
    }
    return kinds[deployment.settings.strategy](deployment)


def planned_steps(flow: StepFlow) -> list[RemoteStep[Any]]:
    """The steps ``flow`` yields, each given its planned value (nothing runs)."""
    steps: list[RemoteStep[Any]] = []
    value: Any = None
    while True:
        try:
            step = flow.send(value)
        except (StopIteration, StepFailed):
            return steps
        steps.append(step)
        value = step.planned()


def planned_names(flow: StepFlow) -> list[str]:
    """The names of the steps ``flow`` yields (nothing runs)."""
    return [step.name for step in planned_steps(flow)]
