"""What a run reports, from its outcome alone (pure): outputs, annotations, the job summary
and the failure to raise with ``fail-on-error``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shipyard.runtime import Annotation, ExternalError, Outcome, Summary


@dataclass(frozen=True)
class ChannelResult:
    """One channel's delivery: sent (with its outputs) or failed (with the reason)."""

    channel: str
    ok: bool
    detail: str
    outputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyOutcome(Outcome):
    headline: str = ""
    results: tuple[ChannelResult, ...] = ()

    @property
    def failed(self) -> tuple[ChannelResult, ...]:
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


def write_summary(outcome: NotifyOutcome, summary: Summary) -> None:
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
