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
        self.previous = ""  # the release serving before (read with the locks)
        self.description: list[str] = []  # the plan

    # -- one host ---------------------------------------------------------------------------
    def rollout(self, name: str) -> None:
        """Everything up to and including the switch (and the post-switch hooks)."""
        self.fleet.mark(name, status="working")
        self.fleet.run_flow(name, self.strategy.rollout(self.fleet.view(name)))

    def finish(self, name: str) -> None:
        """Drain and stop the old release, record the new one."""
        self.fleet.run_flow(name, self.strategy.finish(self.fleet.view(name)))
        self.fleet.mark(name, status="deployed")

    def revert(self, name: str) -> list[str]:
        """Put the release that ran before back on this host (shielded from a cancel); what
        happened, for the story.

        The revert is idempotent (start the old containers, wait until they answer, switch
        to them, drain, remove the new ones), so an attempt that fails is made once more. A
        failure to record the result afterwards leaves the host rolled back (the old release
        serves), with a warning. Then, on a host the rollout changed, post-rollback (once)."""
        fleet, told = self.fleet, list[str]()
        if fleet.state(name).status in ("untouched", "rolled-back"):
            return told
        changed = self.strategy.changed(fleet.view(name))  # before the revert's own steps
        with self.cleanup.shielded(f"rollback of {name}"):
            try:
                retry_call(
                    functools.partial(self._revert_once, name, itertools.count(1)),
                    policy=RetryPolicy(
                        attempts=REVERT_ATTEMPTS, base_delay=REVERT_RETRY_DELAY, jitter=0.0
                    ),
                    clock=self.clock,
                    log=functools.partial(self._retrying, name, told),
                    what="rollback",
                )
            except StepFailed as exc:
                fleet.mark(name, status="failed")
                return [*told, f"{name}: rollback FAILED: {exc}"]
            fleet.mark(name, status="rolled-back")
            host = fleet.view(name)
            told.append(
                f"{name}: put {host.facts.current or 'nothing (first deploy)'} back"
                + (", removed the new containers" if host.new else "")
            )
            try:
                fleet.run(name, self.strategy.record(host, "rolled-back"))
            except StepFailed as exc:
                message = f"{name}: rolled back, but the result was not recorded on the host: {exc}"
                told.append(message)
                fleet.runner.annotate("warning", message, title="Rollback not recorded")
            if changed:
                after_rollback(fleet, name, self.strategy.after_revert(host), told)
        return told

    def revert_all(self, names: Sequence[str], phase: str) -> None:
        """Put the old release back on ``names`` at once, a thread each; a cancel meanwhile
        waits until every host is back (the whole of it is shielded), then goes on."""
        told: dict[str, list[str]] = {}

        def one(name: str) -> None:
            told[name] = self.revert(name)

        with self.cleanup.shielded("rollback"):
            self.fleet.each(names, one, phase)
        for name in names:
            self.story += told.get(name, [])

    def _retrying(self, name: str, told: list[str], line: str) -> None:
        told.append(f"{name}: {line}")
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
        self.previous = previous = next(
            (h.facts.current for h in fleet.views() if h.facts.current), ""
        )
        steps = plan.step_lines(self.strategy, fleet.views())
        self.description = description = plan.describe(
            self.settings, fleet.targets, self.release, steps
        )
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
            self.story += [f"{name}: {fleet.state(name).error}" for name in bad]
            self.revert_all(bad, "rollback")
            failures += len(bad)
            good = [name for name in batch if name not in bad]
            if failures > s.max_failures:
                self.story.append(
                    f"{failures} host(s) failed (max-failures {s.max_failures}): "
                    "rolling back every host already switched"
                )
                self.revert_all([*done, *good], "rollback")
                return self._put_back_status()
            fleet.each(good, self.finish, "finish")
            done += good
        return "deployed"

    def _put_back_status(self) -> str:
        """rolled-back when every host this run changed has the old release back, else
        failed."""
        statuses = [self.fleet.state(name).status for name in self.fleet.names]
        return (
            "rolled-back"
            if all(status in ("rolled-back", "untouched") for status in statuses)
            else "failed"
        )

    def _result(self, status: str, previous: str, description: Sequence[str]) -> Result:
        return Result(status, self.release, previous, self.fleet.views(), self.story, description)

    def result_so_far(self) -> Result:
        """After a cancel (once the cleanups have put hosts back): what the run left, for the
        outputs (rolled-back when every host it changed has the old release back)."""
        self.story.append("the deploy was cancelled")
        return self._result(self._put_back_status(), self.previous, self.description)

    def _revert_unfinished(self) -> None:
        """On a cancel: put the old release back, on every host at once, wherever this run
        left a host half done (a step still running there is stopped first)."""
        fleet = self.fleet
        working = [n for n in fleet.names if fleet.state(n).status == "working"]
        fleet.stop_steps(working)
        self.revert_all(working, "rollback after cancel")
