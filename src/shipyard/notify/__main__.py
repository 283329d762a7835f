"""Entry point of the notify action: ``python -m shipyard.notify``.

Every input is checked (``Settings``) and every message built (``channels.prepare``) before
the first channel is contacted: a bad input exits 2 with nothing sent. A channel that cannot be
reached is a warning (exit 0), or exit 3 with ``fail-on-error: true``.
"""

from __future__ import annotations

from shipyard.runtime import ActionContext, ExternalError, main_for, neutralize

from . import report
from .channels import Delivery, prepare
from .message import build_notification
from .report import ChannelResult, NotifyOutcome
from .spec import SPEC, Settings


def run(ctx: ActionContext[Settings]) -> NotifyOutcome:
    """Build the message, send it through every configured channel (a failed one is a result, not a
    crash), publish the report; with fail-on-error a failed channel fails the step."""
    settings = ctx.settings
    note = build_notification(
        status=settings.status,
        title=settings.title,
        message=settings.message,
        environment=settings.environment,
        version=settings.version,
        links=settings.links,
        context=ctx.run,
    )
    results = tuple(deliver(ctx, delivery) for delivery in prepare(ctx, note))
    outcome = NotifyOutcome(summary_title=note.headline, headline=note.headline, results=results)
    report.publish(ctx, outcome)
    error = report.failure(outcome)
    if error is not None and settings.fail_on_error:
        raise error
    return outcome


def deliver(ctx: ActionContext[Settings], delivery: Delivery) -> ChannelResult:
    """Send through one channel; its failure is a result, not an exception."""
    try:
        result = delivery.send()
    except ExternalError as exc:
        detail = exc.message + (f" {exc.hint}" if exc.hint else "")
        return ChannelResult(delivery.channel, False, detail)
    ctx.runner.info(f"{delivery.channel}: {neutralize(result.detail)}")
    return result


main = main_for(SPEC, run)

if __name__ == "__main__":
    raise SystemExit(main(None))
