"""Entry point of the approval action: ``python -m shipyard.approval``.

Every input is checked (Settings in spec.py), and every approver looked up, before the issue is
created: a bad input exits 2 with no issue left behind. The modes are request.py, wait.py and
check.py; report.py says what happened. PyGithub is imported only once the inputs are good.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shipyard.runtime import ActionContext, main_for
from shipyard.runtime.retry import SYSTEM_CLOCK, Clock

from .report import ApprovalOutcome
from .spec import SPEC, Settings


def make_run(
    clock: Clock = SYSTEM_CLOCK, epoch: Callable[[], float] = time.time
) -> Callable[[ActionContext[Settings]], ApprovalOutcome | None]:
    """The action's ``run``, on ``clock`` (waits, deadlines) and ``epoch`` (wall time)."""

    def run(ctx: ActionContext[Settings]) -> ApprovalOutcome | None:
        from .check import run_check
        from .github_api import Refused, describe_failure
        from .request import run_request
        from .session import open_session
        from .wait import run_wait

        session = open_session(ctx, clock, epoch)
        mode = {"check": run_check, "request": run_request, "wait": run_wait}[ctx.settings.mode]
        try:
            return mode(session)
        except Refused as exc:
            raise describe_failure(exc, session.repository) from None

    return run


run = make_run()
main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
