"""The run's result -> outputs, the job summary, annotations and the verdict.

Everything but :func:`publish` is pure; :func:`publish` writes what they return.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from shipyard.runtime import ExternalError, Outcome, Summary, VerdictFailure

from .hosts import HostView, StepRecord

if TYPE_CHECKING:
    from shipyard.runtime import ActionContext

    from .ops_report import OpsResult
    from .spec import Settings


@dataclass(frozen=True)
class Result:
    """How the run ended (the modes return it; this module turns it into outputs)."""

    status: str  # deployed, rolled-back, failed, planned
    release: str
    previous: str
    hosts: Sequence[HostView]
    story: Sequence[str]
    plan: Sequence[str]
    #: mode rollback: the hosts that are back but whose post-rollback failed (the job fails)
    hooks_failed: Sequence[str] = ()


ICONS = {
    "deployed": "✅",
    "rolled-back": "↩️",
    "failed": "❌",
    "untouched": "⏸️",
    "working": "⚠️",
    "planned": "📝",
    "done": "✅",
}


def _same(text: str) -> str:
    return text


def host_json(
    hosts: Sequence[HostView], redact: Callable[[str], str] = _same
) -> list[dict[str, object]]:
    """Each host's result; ``redact`` hides secrets in what came from the host (errors and
    output tails), the rest is the action's own."""
    return [
        {
            "host": h.name,
            "result": h.state.status,
            "previous-release": h.facts.current,
            "error": redact(h.state.error),
            "steps": [_step(record, redact) for record in h.log],
        }
        for h in hosts
    ]


def _step(step: StepRecord, redact: Callable[[str], str] = _same) -> dict[str, object]:
    """A step for the hosts output; a failed one keeps the tail of its output."""
    entry: dict[str, object] = {
        "name": step.name,
        "ok": step.ok,
        "exit": step.code,
        "seconds": round(step.seconds, 2),
    }
    if not step.ok:
        entry["tail"] = redact(step.tail)
    return entry


def outputs(
    result: Result, url: str | None, redact: Callable[[str], str] = _same
) -> dict[str, str]:
    """The step's outputs, to be written as they are (not redacted again: a status or a
    release id must reach the caller's `if:` intact, whatever value an env line masked);
    ``redact`` is applied to the parts that came from the hosts."""
    return {
        "status": result.status,
        "release": result.release,
        "previous-release": result.previous,
        "hosts": json.dumps(host_json(result.hosts, redact), separators=(",", ":")),
        "url": url or "",
    }


def summary(summary: Summary, result: Result, app: str, image: str) -> None:
    """The job summary: each host's steps and durations, what happened, what to do, the plan."""
    icon = ICONS.get(result.status, "")
    summary.heading(f"{icon} Deploy of {app}: {result.status}", 2)
    summary.paragraph(
        f"Release `{result.release}` of `{image}`"
        + (f", before: `{result.previous}`" if result.previous else "")
    )
    names = list(dict.fromkeys(step.name for h in result.hosts for step in h.log))
    rows = []
    for host in result.hosts:
        by_name: dict[str, tuple[bool, float]] = {}
        for step in host.log:
            previous = by_name.get(step.name, (True, 0.0))
            by_name[step.name] = (previous[0] and step.ok, previous[1] + step.seconds)
        cells = [
            f"{'' if by_name[n][0] else '❌ '}{by_name[n][1]:.1f}s" if n in by_name else ""
            for n in names
        ]
        status = host.state.status
        rows.append([host.name, f"{ICONS.get(status, '')} {status}", *cells])
    summary.table(["Host", "Result", *names], rows)
    if result.story:
        summary.heading("What happened", 3)
        summary.list(result.story)
    if result.status in ("rolled-back", "failed"):
        summary.heading("What to do", 3)
        summary.list(what_to_do(result))
    summary.details("Plan", "\n".join(result.plan), code=True)


def partial_warning(result: Result, max_failures: int) -> str:
    """For a deploy that went on past failed hosts (within max-failures): which hosts did not
    take the release, and what they run; empty when every host did."""
    left = [h for h in result.hosts if h.state.status != "deployed"]
    if result.status != "deployed" or not left:
        return ""
    described = [
        f"{h.name} ({h.state.status}"
        + (f", back on {h.facts.current or 'nothing'}" if h.state.status == "rolled-back" else "")
        + ")"
        for h in left
    ]
    return (
        f"Deployed {result.release}, but {len(left)} host(s) did not take it (within "
        f"max-failures {max_failures}): " + ", ".join(described) + "."
    )


def what_to_do(result: Result) -> list[str]:
    """The summary's advice after a rollback or a failure."""
    advice = []
    if result.status == "rolled-back":
        advice.append(
            "The release that ran before is serving again; fix the new release and deploy again."
        )
    else:
        advice.append(
            "Some hosts could not be put back: check them (their log groups above) "
            "before the next deploy."
        )
    errors = [h for h in result.hosts if h.state.error]
    if errors:
        advice.append(f"The first error was on {errors[0].name}: {errors[0].state.error}")
    return advice


def verdict(result: Result, mode: str) -> VerdictFailure | ExternalError | None:
    """The error the run ends with: a rolled-back deploy or a rollback whose post-rollback
    failed (exit 1), a failure (exit 3)."""
    if result.status == "rolled-back" and mode == "deploy":
        return VerdictFailure(
            f"The deploy of {result.release} was rolled back: " + "; ".join(result.story),
            title="Deploy rolled back",
            hint="The previous release is serving. Fix the new release and deploy again.",
        )
    if result.status == "rolled-back" and result.hooks_failed:
        return VerdictFailure(
            f"Rolled back to {result.release}, but post-rollback failed on "
            + ", ".join(result.hooks_failed)
            + ": "
            + "; ".join(result.story),
            title="post-rollback failed",
            hint="The release that ran before is serving; what post-rollback does (restoring "
            "data...) did not happen there. Run it by hand, or fix it and roll back again.",
        )
    if result.status == "failed":
        return ExternalError(
            "The deploy failed: " + "; ".join(result.story),
            title="Deploy failed",
            hint="See each host's log group; hosts that could not be put back need a look.",
        )
    return None


def publish(ctx: ActionContext[Settings], result: Result | OpsResult) -> Outcome:
    """Write the outputs, the summary, the warning of a partial deploy and a dry-run's plan;
    raise the verdict, if any."""
    from .ops_report import OpsResult

    if isinstance(result, OpsResult):
        return publish_ops(ctx, result)
    s = ctx.settings
    for name, value in outputs(result, s.url, ctx.runner.redact).items():
        ctx.set_output(name, value, redact=False)
    ctx.set_output("details", "[]", redact=False)
    summary(ctx.summary, result, s.app, s.image)
    partial = partial_warning(result, s.max_failures)
    if partial:
        ctx.runner.annotate("warning", partial, title="Some hosts not deployed")
    if result.status == "planned":
        for line in result.plan:
            ctx.runner.info(line)
    error = verdict(result, s.mode)
    if error is not None:
        raise error
    return Outcome(summary_title=f"{s.app} {result.status}")


@runtime_checkable
class Unfinished(Protocol):
    """A mode that can say what it left when it did not get to its result (a cancel)."""

    def result_so_far(self) -> Result:
        """The hosts as the run (and its cleanups) left them."""
        ...


def publish_unfinished(ctx: ActionContext[Settings], mode: Unfinished) -> None:
    """A cleanup, run after the mode's own (the old release put back, the locks released):
    when the run was cancelled before it wrote its outputs, write them and the summary from
    what the mode left, so ``status`` and ``hosts`` are set after a cancel too. Never raises a
    verdict: the run already ends with the cancel."""
    if "status" in ctx.outputs or not ctx.cleanup.cancelled:
        return
    result = mode.result_so_far()
    s = ctx.settings
    for name, value in outputs(result, s.url, ctx.runner.redact).items():
        ctx.set_output(name, value, redact=False)
    summary(ctx.summary, result, s.app, s.image)


def publish_ops(ctx: ActionContext[Settings], result: OpsResult) -> Outcome:
    """Modes exec, logs, status, maintenance: the outputs (``details`` as JSON), the summary;
    raise the verdict, if any."""
    from . import ops_report

    s = ctx.settings
    for name, value in ops_report.outputs(result, s.url, ctx.runner.redact).items():
        ctx.set_output(name, value, redact=False)
    ops_report.summary(ctx.summary, result, s.app, ctx.runner.redact)
    error = ops_report.verdict(result)
    if error is not None:
        raise error
    return Outcome(summary_title=f"{s.app} {s.mode} {result.status}")
