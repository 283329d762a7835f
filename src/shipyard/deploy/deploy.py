"""mode: deploy. Per batch of hosts: roll out, watch, finish; past max-failures, put back."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shipyard.runtime import ActionContext, Retryable, RetryPolicy, retry_call

from . import compose_scripts, health, plan, scripts
from .releases import Release, audit_line, marker_values
from .session import HostRun, Session, StepFailed
from .spec import Settings

REVERT_ATTEMPTS = 2  # the revert is idempotent: a failed attempt is made once more
REVERT_HEALTH_TIMEOUT = 60.0  # seconds the old release's containers get to answer again


@dataclass(frozen=True)
class Result:
    """How the run ended (report.py turns it into outputs and the summary)."""

    status: str  # deployed, rolled-back, failed, planned
    release: str
    previous: str
    hosts: Sequence[HostRun]
    story: Sequence[str]
    plan: Sequence[str]


class Deploy:
    def __init__(self, ctx: ActionContext[Settings], session: Session) -> None:
        self.ctx = ctx
        self.s = ctx.settings
        self.session = session
        self.release = session.release
        self.story: list[str] = []

    # -- one host ---------------------------------------------------------------------------
    def rollout(self, host: HostRun) -> None:
        """Everything up to and including the switch (and the post-switch hooks)."""
        s, remote, run = self.s, host.remote, self.session.run
        host.status = "working"
        pulled = run(host, "pull", scripts.pull(remote, s.registry_username, s.registry_password))
        digest = marker_values(pulled.output, "digest")
        host.digest = digest[0][0] if digest and digest[0] else ""
        if s.pre_deploy:
            run(host, "pre-deploy", scripts.hook(remote, s.pre_deploy, "pre-deploy"))
        if s.migrate_command:
            run(host, "migrate", scripts.migrate(remote, s.migrate_command, self.env))
        if self.session.compose is not None:
            self._compose(host)
        elif s.strategy == "rolling":
            self._rolling(host)
        else:
            if s.strategy == "recreate" and host.old:
                run(host, "stop-old", scripts.stop(host.old, remote))
            host.new = remote.names()
            run(host, "start", scripts.start(remote, self.env))
            run(host, "check", scripts.check(remote, host.new))
            run(host, "switch", scripts.switch(remote, self.release, host.new))
            host.switched = True
        extra = {"SHIPYARD_PREVIOUS_RELEASE": host.current}
        new = host.new if self.session.compose is None else ()
        if s.post_deploy:
            script = scripts.hook(remote, s.post_deploy, "post-deploy", extra, new)
            run(host, "post-deploy", script)
        if s.smoke_command:
            run(host, "smoke", scripts.hook(remote, s.smoke_command, "smoke", extra, new))
        if s.proxy_access_log and s.monitor > 0:
            sized = run(host, "log-size", scripts.log_size(remote, s.proxy_access_log))
            size = marker_values(sized.output, "log-size")
            host.log_size = int(size[0][0]) if size and size[0] and size[0][0].isdigit() else 0

    def _compose(self, host: HostRun) -> None:
        """compose-file: the release's project beside the old one (recreate: instead of it)."""
        remote, run = host.remote, self.session.run
        if self.s.strategy == "recreate" and host.current and host.old:
            run(host, "stop-old", compose_scripts.stop(remote, host.current))
        script = compose_scripts.start(
            remote, self.session.compose, self.env, self.release, self.s.image
        )
        started = run(host, "start", script)
        host.new = [w[0] for w in marker_values(started.output, "started") if w]
        if not host.new:
            raise StepFailed("start: the routed service has no container")
        run(host, "check", compose_scripts.check(remote, self.release, host.new))
        run(host, "switch", scripts.switch(remote, self.release, host.new))
        host.switched = True

    def _rolling(self, host: HostRun) -> None:
        remote = host.remote
        for index, name in enumerate(remote.names(), 1):
            host.new.append(name)
            host.switched = True  # from the first replica on, the upstream holds new ones
            script = scripts.replica(remote, self.env, index, host.old, self.s.drain_timeout)
            self.session.run(host, f"replica-{index}", script)

    @property
    def env(self) -> dict[str, str]:
        return self.session.app_env

    def finish(self, host: HostRun) -> None:
        """Drain and stop the old release, record the new one."""
        s, remote = self.s, host.remote
        if host.old and s.strategy == "blue-green":
            drain = max(0.0, s.drain_timeout - (s.monitor if s.monitor > 0 else 0))
            script = (
                compose_scripts.stop(remote, host.current, drain)
                if self.session.compose is not None
                else scripts.stop(host.old, remote, drain)
            )
            self.session.run(host, "stop-old", script)
        self._record(host, "deployed")
        host.status = "deployed"

    def _record(self, host: HostRun, result: str) -> None:
        run_url, actor = self.ctx.run.run_url, self.ctx.run.actor
        record = Release(
            self.release,
            self.s.image,
            host.digest,
            time.time(),
            run_url,
            actor,
            result,
            self.s.replicas,
        )
        audit = audit_line(
            result,
            self.release,
            time.time(),
            run_url,
            actor,
            image=self.s.image,
            digest=host.digest,
            previous=host.current,
        )
        self.session.run(
            host,
            "record",
            scripts.record(
                host.remote, record.to_json(), audit, self.release, self.s.keep_releases
            ),
        )

    def revert(self, host: HostRun) -> None:
        """Put the release that ran before back on this host (shielded from a cancel).

        The revert script is idempotent (start the old containers, wait until they answer,
        switch to them, remove the new ones), so an attempt that fails is made once more. A
        failure to record the result afterwards leaves the host rolled back (the old release
        serves), with a warning."""
        if host.status in ("untouched", "rolled-back"):
            return
        name = host.target.name
        with self.ctx.cleanup.shielded(f"rollback of {name}"):
            try:
                retry_call(
                    functools.partial(self._revert_once, host, itertools.count(1)),
                    policy=RetryPolicy(attempts=REVERT_ATTEMPTS, base_delay=2.0, jitter=0.0),
                    log=functools.partial(self._retrying, host),
                    what="rollback",
                )
            except StepFailed as exc:
                host.status = "failed"
                self.story.append(f"{name}: rollback FAILED: {exc}")
                return
            host.status = "rolled-back"
            self.story.append(
                f"{name}: put {host.current or 'nothing (first deploy)'} back"
                + (", removed the new containers" if host.new else "")
            )
            try:
                self._record(host, "rolled-back")
            except StepFailed as exc:
                message = f"{name}: rolled back, but the result was not recorded on the host: {exc}"
                self.story.append(message)
                self.ctx.runner.annotate("warning", message, title="Rollback not recorded")
            self.after_rollback(host, self.release)

    def after_rollback(self, host: HostRun, failed_release: str) -> None:
        """post-rollback on a host that is back on its previous release (e.g. a restore)."""
        if not self.s.post_rollback:
            return
        extra = {"SHIPYARD_FAILED_RELEASE": failed_release}
        script = scripts.hook(host.remote, self.s.post_rollback, "post-rollback", extra)
        name = host.target.name
        try:
            self.session.run(host, "post-rollback", script)
        except StepFailed as exc:
            message = f"{name}: rolled back, but post-rollback failed: {exc}"
            self.story.append(message)
            self.ctx.runner.annotate("error", message, title="post-rollback failed")
        else:
            self.story.append(f"{name}: post-rollback ran")

    def _retrying(self, host: HostRun, line: str) -> None:
        self.story.append(f"{host.target.name}: {line}")
        host.output.append(f"--- {line}")

    def _revert_once(self, host: HostRun, attempts: Iterator[int]) -> None:
        attempt = next(attempts)
        old = host.old if host.current else []
        # The old release answered before this deploy: its containers get at least
        # REVERT_HEALTH_TIMEOUT to answer again, however short health-timeout is for new ones.
        remote = dataclasses.replace(
            host.remote,
            health_attempts=max(
                host.remote.health_attempts,
                health.attempts(REVERT_HEALTH_TIMEOUT, self.s.health_interval),
            ),
        )
        script = (
            compose_scripts.revert(remote, host.current if old else "", self.release)
            if self.session.compose is not None
            else scripts.revert(remote, host.current, old, host.new)
        )
        try:
            self.session.run(host, f"rollback-{attempt}" if attempt > 1 else "rollback", script)
        except StepFailed as exc:
            if attempt < REVERT_ATTEMPTS:
                raise Retryable(str(exc)) from exc
            raise

    # -- watch ------------------------------------------------------------------------------
    def watch(self, batch: Sequence[HostRun]) -> list[HostRun]:
        """Check the batch every monitor-interval for monitor; the hosts that went bad."""
        s = self.s
        if s.monitor <= 0:
            return []
        checks = max(1, math.ceil(s.monitor / s.monitor_interval))
        for number in range(1, checks + 1):
            time.sleep(s.monitor_interval)
            verdicts = self.session.parallel(
                [h.target for h in batch], functools.partial(self._check_target, number=number)
            )
            bad = [h for h, ok in zip(batch, verdicts, strict=True) if not ok]
            if bad:
                return bad
        return []

    def _check_target(self, target: plan.Target, number: int) -> bool:
        return self._check(self.session.hosts[target.name], number)

    def _check(self, host: HostRun, number: int) -> bool:
        s = self.s
        try:
            result = self.session.run(
                host,
                f"watch-{number}",
                scripts.watch(
                    host.remote,
                    host.new,
                    s.proxy_access_log,
                    host.log_size,
                    compose_scripts.watch_extra(host.remote, self.release)
                    if self.session.compose is not None
                    else "",
                ),
            )
        except StepFailed as exc:
            host.error = f"unhealthy during the watch (check {number}): {exc}"
            return False
        counts = marker_values(result.output, "requests")
        if counts and len(counts[0]) == 2:
            total, errors = int(counts[0][0]), int(counts[0][1])
            rate = health.error_rate(total, errors)
            if total and rate > s.max_error_rate:
                host.error = (
                    f"error rate {rate:.1f}% ({errors}/{total} answers) is over "
                    f"max-error-rate {s.max_error_rate}%"
                )
                return False
        return True

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> Result:
        s, session = self.s, self.session
        targets = session.targets
        description = plan.describe(s, targets, self.release)
        # LIFO: on a cancel the old release is put back first, then the locks are released.
        self.ctx.cleanup.push(session.release_locks, "release the deploy locks")
        self.ctx.cleanup.push(
            self._revert_unfinished, "put the old release back on unfinished hosts"
        )
        everyone = list(session.hosts.values())
        self._each(everyone, session.prepare, "prepare")
        session.refuse_unfit()
        failed_prepare = [h for h in everyone if h.error]
        previous = next((h.current for h in everyone if h.current), "")
        if failed_prepare:
            self.story += [f"{h.target.name}: {h.error}" for h in failed_prepare]
            return Result("failed", self.release, previous, everyone, self.story, description)
        if s.dry_run:
            return Result("planned", self.release, previous, everyone, self.story, description)
        failures = 0
        size = plan.batch_size(s, len(targets))
        done: list[HostRun] = []
        for number, batch_targets in enumerate(plan.batches(targets, size), 1):
            if number > 1 and s.batch_wait > 0:
                time.sleep(s.batch_wait)
            batch = [session.hosts[t.name] for t in batch_targets]
            self._each(batch, self.rollout, "roll out")
            bad = [h for h in batch if h.error]
            if not bad:
                bad = self.watch(batch)
                for host in batch:
                    session.flush(host, "watch")
            for host in bad:
                self.story.append(f"{host.target.name}: {host.error}")
                self.revert(host)
                session.flush(host, "rollback")
            failures += len(bad)
            good = [h for h in batch if h not in bad]
            if failures > s.max_failures:
                self.story.append(
                    f"{failures} host(s) failed (max-failures {s.max_failures}): "
                    "rolling back every host already switched"
                )
                for host in [*done, *good]:
                    self.revert(host)
                    session.flush(host, "rollback")
                status = (
                    "rolled-back"
                    if all(h.status in ("rolled-back", "untouched") for h in everyone)
                    else "failed"
                )
                return Result(status, self.release, previous, everyone, self.story, description)
            self._each(good, self.finish, "finish")
            done += good
        return Result("deployed", self.release, previous, everyone, self.story, description)

    def _each(self, hosts: Sequence[HostRun], work: object, phase: str) -> None:
        def one(target: plan.Target) -> None:
            host = self.session.hosts[target.name]
            try:
                work(host)  # type: ignore[operator]
            except StepFailed as exc:
                host.error = str(exc)
            finally:
                self.session.flush(host, phase)

        self.session.parallel([h.target for h in hosts], one)

    def _revert_unfinished(self) -> None:
        """On a cancel: put the old release back wherever this run left a host half done."""
        self.session.stop_steps([h for h in self.session.hosts.values() if h.status == "working"])
        for host in self.session.hosts.values():
            if host.status == "working":
                self.revert(host)
                self.session.flush(host, "rollback after cancel")
