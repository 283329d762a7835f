"""mode: deploy. Per batch of hosts: roll out, watch, finish; past max-failures, put back.

Built on the fleet (hosts, steps, output), the lock and a strategy (which steps); it decides
only the order: batches, the watch, which hosts are put back and when. Time comes from the
injected clock (batch-wait, the watch's pauses, the pause before a second revert attempt).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence

from shipyard.runtime import Cleanup, Retryable, RetryPolicy, retry_call
from shipyard.runtime.retry import Clock

from . import health, plan
from .fleet import Fleet
from .lock import DeployLock
from .report import Result
from .rollback import after_rollback
from .spec import Settings
from .steps import StepFailed
from .strategies import Strategy

REVERT_ATTEMPTS = 2  # the revert is idempotent: a failed attempt is made once more
REVERT_RETRY_DELAY = 2.0


class Deploy:
    """One deploy of a release to every host of the fleet."""

    def __init__(
        self,
        settings: Settings,
        fleet: Fleet,
        lock: DeployLock,
        strategy: Strategy,
        cleanup: Cleanup,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.fleet = fleet
        self.lock = lock
        self.strategy = strategy
        self.cleanup = cleanup
        self.clock = clock
        self.release = strategy.renderer.release
        self.story: list[str] = []

    # -- one host ---------------------------------------------------------------------------
    def rollout(self, name: str) -> None:
        """Everything up to and including the switch (and the post-switch hooks)."""
        self.fleet.mark(name, status="working")
        self.fleet.run_flow(name, self.strategy.rollout(self.fleet.view(name)))

    def finish(self, name: str) -> None:
        """Drain and stop the old release, record the new one."""
        self.fleet.run_flow(name, self.strategy.finish(self.fleet.view(name)))
        self.fleet.mark(name, status="deployed")

    def revert(self, name: str) -> None:
        """Put the release that ran before back on this host (shielded from a cancel).

        The revert is idempotent (start the old containers, wait until they answer, switch
        to them, remove the new ones), so an attempt that fails is made once more. A failure
        to record the result afterwards leaves the host rolled back (the old release serves),
        with a warning. Then, on a host the rollout changed, post-rollback (once)."""
        fleet = self.fleet
        if fleet.state(name).status in ("untouched", "rolled-back"):
            return
        changed = self.strategy.changed(fleet.view(name))  # before the revert's own steps
        with self.cleanup.shielded(f"rollback of {name}"):
            try:
                retry_call(
                    functools.partial(self._revert_once, name, itertools.count(1)),
                    policy=RetryPolicy(
                        attempts=REVERT_ATTEMPTS, base_delay=REVERT_RETRY_DELAY, jitter=0.0
                    ),
                    clock=self.clock,
                    log=functools.partial(self._retrying, name),
                    what="rollback",
                )
            except StepFailed as exc:
                fleet.mark(name, status="failed")
                self.story.append(f"{name}: rollback FAILED: {exc}")
                return
            fleet.mark(name, status="rolled-back")
            host = fleet.view(name)
            self.story.append(
                f"{name}: put {host.facts.current or 'nothing (first deploy)'} back"
                + (", removed the new containers" if host.new else "")
            )
            try:
                fleet.run(name, self.strategy.record(host, "rolled-back"))
            except StepFailed as exc:
                message = f"{name}: rolled back, but the result was not recorded on the host: {exc}"
                self.story.append(message)
                fleet.runner.annotate("warning", message, title="Rollback not recorded")
            if changed:
                after_rollback(fleet, name, self.strategy.after_revert(host), self.story)

    def _retrying(self, name: str, line: str) -> None:
        self.story.append(f"{name}: {line}")
        self.fleet.note(name, line)

    def _revert_once(self, name: str, attempts: Iterator[int]) -> None:
        attempt = next(attempts)
        try:
            for step in self.strategy.revert(self.fleet.view(name), attempt):
                self.fleet.run(name, step)
        except StepFailed as exc:
            if attempt < REVERT_ATTEMPTS:
                raise Retryable(str(exc)) from exc
            raise

    # -- watch ------------------------------------------------------------------------------
    def watch(self, batch: Sequence[str]) -> list[str]:
        """Check the batch every monitor-interval for monitor; the hosts that went bad."""
        for number in range(1, self.strategy.checks() + 1):
            self.clock.sleep(self.settings.monitor_interval)
            verdicts = self.fleet.parallel(batch, functools.partial(self._check, number=number))
            bad = [name for name, ok in zip(batch, verdicts, strict=True) if not ok]
            if bad:
                return bad
        return []

    def _check(self, name: str, number: int) -> bool:
        s = self.settings
        try:
            requests = self.fleet.run(name, self.strategy.watch(self.fleet.view(name), number))
        except StepFailed as exc:
            self.fleet.mark(name, error=f"unhealthy during the watch (check {number}): {exc}")
            return False
        if requests is not None:
            rate = health.error_rate(requests.total, requests.errors)
            if requests.total and rate > s.max_error_rate:
                self.fleet.mark(
                    name,
                    error=f"error rate {rate:.1f}% ({requests.errors}/{requests.total} answers) "
                    f"is over max-error-rate {s.max_error_rate}%",
                )
                return False
        return True

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> Result:
        """Lock and read every host, then the batches; the result for the report."""
        fleet = self.fleet
        # LIFO: on a cancel the old release is put back first, then the locks are released.
        self.cleanup.push(self.lock.release_all, "release the deploy locks")
        self.cleanup.push(self._revert_unfinished, "put the old release back on unfinished hosts")
        self.lock.take_all()
        previous = next((h.facts.current for h in fleet.views() if h.facts.current), "")
        steps = plan.step_lines(self.strategy, fleet.views())
        description = plan.describe(self.settings, fleet.targets, self.release, steps)
        failed_prepare = [h for h in fleet.views() if h.state.error]
        if failed_prepare:
            self.story += [f"{h.name}: {h.state.error}" for h in failed_prepare]
            return self._result("failed", previous, description)
        if self.settings.dry_run:
            return self._result("planned", previous, description)
        status = self._batches()
        return self._result(status, previous, description)

    def _batches(self) -> str:
        s, fleet = self.settings, self.fleet
        failures = 0
        size = plan.batch_size(s, len(fleet.targets))
        done: list[str] = []
        for number, targets in enumerate(plan.batches(fleet.targets, size), 1):
            if number > 1 and s.batch_wait > 0:
                self.clock.sleep(s.batch_wait)
            batch = [t.name for t in targets]
            fleet.each(batch, self.rollout, "roll out")
            bad = [name for name in batch if fleet.state(name).error]
            if not bad:
                bad = self.watch(batch)
                for name in batch:
                    fleet.flush(name, "watch")
            for name in bad:
                self.story.append(f"{name}: {fleet.state(name).error}")
                self.revert(name)
                fleet.flush(name, "rollback")
            failures += len(bad)
            good = [name for name in batch if name not in bad]
            if failures > s.max_failures:
                self.story.append(
                    f"{failures} host(s) failed (max-failures {s.max_failures}): "
                    "rolling back every host already switched"
                )
                for name in [*done, *good]:
                    self.revert(name)
                    fleet.flush(name, "rollback")
                statuses = [fleet.state(name).status for name in fleet.names]
                return (
                    "rolled-back"
                    if all(status in ("rolled-back", "untouched") for status in statuses)
                    else "failed"
                )
            fleet.each(good, self.finish, "finish")
            done += good
        return "deployed"

    def _result(self, status: str, previous: str, description: Sequence[str]) -> Result:
        return Result(status, self.release, previous, self.fleet.views(), self.story, description)

    def _revert_unfinished(self) -> None:
        """On a cancel: put the old release back wherever this run left a host half done."""
        fleet = self.fleet
        fleet.stop_steps([n for n in fleet.names if fleet.state(n).status == "working"])
        for name in fleet.names:
            if fleet.state(name).status == "working":
                self.revert(name)
                fleet.flush(name, "rollback after cancel")
