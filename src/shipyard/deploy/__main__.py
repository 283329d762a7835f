"""Entry point: ``python -m shipyard.deploy`` (flags named as the action's inputs). Settings ->
the runner's files -> the SSH transport and the fleet, connected -> the mode -> the report."""

from __future__ import annotations

import time
from collections.abc import Callable

from shipyard.runtime import ActionContext, Outcome, main_for
from shipyard.runtime.retry import SYSTEM_CLOCK, Clock

from .spec import SPEC, Settings


def make_run(
    clock: Clock = SYSTEM_CLOCK, wall: Callable[[], float] = time.time
) -> Callable[[ActionContext[Settings]], Outcome]:
    """The action's ``run`` on ``clock`` (pauses, deadlines) and ``wall`` (the time of day)."""

    def run(ctx: ActionContext[Settings]) -> Outcome:
        """Parts imported here: a run that fails on its inputs never loads the SSH machinery."""
        from . import modes, plan, report, strategies
        from .fleet import Fleet
        from .local_files import read_local_files
        from .lock import DeployLock
        from .releases import LockHolder
        from .ssh import open_ssh
        from .targets import parse_targets

        s, info = ctx.settings, ctx.run
        files = read_local_files(s, info.workspace, ctx.runner.mask)
        site = modes.site_for(s, wall(), lambda text: ctx.runner.annotate("warning", text))
        release = plan.release_id(wall(), info.run_number, info.run_attempt)
        targets = parse_targets(s.hosts, s.user)
        space = modes.disk_space(ctx)
        transport = open_ssh(s, targets, ctx.secret_file, ctx.cleanup, ctx.runner)
        renderer = strategies.renderer_for(s, release, info.run_url, info.actor)
        fleet = Fleet(targets, transport, renderer, ctx.runner, ctx.cleanup,
                      command_timeout=s.command_timeout)  # fmt: skip
        fleet.connect()
        holder = LockHolder.new(info.run_url, info.actor, wall(), s.lock_ttl, release)
        lock = DeployLock(fleet, holder, app=s.app, wait=s.lock_wait,
                          compose=files.compose is not None, clock=clock, wall=wall,
                          space=space.needed, image=s.image, space_why=space.why)  # fmt: skip
        mode = modes.mode_for(s, fleet, lock, files, site, ctx.cleanup, clock, wall)
        if isinstance(mode, report.Unfinished):  # deploy, rollback: outputs after a cancel too
            ctx.cleanup.push(lambda: report.publish_unfinished(ctx, mode), "outputs after a cancel")
        return report.publish(ctx, mode.run())

    return run


run = make_run()
main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
