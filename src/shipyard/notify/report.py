"""What a run reports, from its outcome alone: outputs, annotations, the job summary and the
failure to raise with ``fail-on-error`` (pure functions), and :func:`publish`, the one place
they are written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shipyard.runtime import Annotation, ExternalError, Outcome, Summary, emit_annotations

if TYPE_CHECKING:
    from shipyard.runtime import ActionContext


@dataclass(frozen=True)
class ChannelResult:
    """One channel's delivery: sent (with its outputs) or failed (with the reason)."""

    channel: str
    ok: bool
    detail: str
    outputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyOutcome(Outcome):
    """A run's result: the message's headline and each channel's delivery."""

    headline: str = ""
    results: tuple[ChannelResult, ...] = ()

    @property
    def failed(self) -> tuple[ChannelResult, ...]:
        """The channels whose delivery failed."""
        return tuple(result for result in self.results if not result.ok)


def outputs(outcome: NotifyOutcome) -> dict[str, object]:
    """Each channel's outputs (slack-ts, slack-channel, email-message-id) and ``results``."""
    values: dict[str, object] = {}
    for result in outcome.results:
        values.update(result.outputs)
    values["results"] = {
        result.channel: "sent" if result.ok else f"failed: {result.detail}"
        for result in outcome.results
    }
    return values


def annotations_for(outcome: NotifyOutcome) -> list[Annotation]:
    """A warning for each failed channel (with fail-on-error the runtime adds the error)."""
    return [
        Annotation("warning", result.detail, title=f"{result.channel} failed")
        for result in outcome.failed
    ]


def publish(ctx: ActionContext[Any], outcome: NotifyOutcome) -> None:
    """Write what the run reports: its outputs, a warning per failed channel, the summary."""
    for name, value in outputs(outcome).items():
        ctx.set_output(name, value)
    emit_annotations(ctx.runner, annotations_for(outcome), workspace=ctx.run.workspace)
    write_summary(outcome, ctx.summary)


def write_summary(outcome: NotifyOutcome, summary: Summary) -> None:
    """A heading and one row per channel: sent or failed, and the details."""
    summary.heading(outcome.headline, 3)
    summary.table(
        ["Channel", "Result", "Details"],
        [
            [result.channel, "\u2705 sent" if result.ok else "\u274c failed", result.detail]
            for result in outcome.results
        ],
    )


def failure(outcome: NotifyOutcome) -> ExternalError | None:
    """The error that fails the step (``fail-on-error``) when a channel failed, else None."""
    if not outcome.failed:
        return None
    return ExternalError(
        f"{len(outcome.failed)} of {len(outcome.results)} channel(s) failed: "
        + ", ".join(result.channel for result in outcome.failed),
        title="Notification failed",
        hint="check the failed channel's details above; the run can be retried.",
    )
