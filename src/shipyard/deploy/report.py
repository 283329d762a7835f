"""Outcome -> outputs, the job summary and the failure story (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from shipyard.runtime import Summary

from .deploy import Result
from .session import HostRun, Step

ICONS = {
    "deployed": "✅",
    "rolled-back": "↩️",
    "failed": "❌",
    "untouched": "⏸️",
    "working": "⚠️",
    "planned": "📝",
}


def _same(text: str) -> str:
    return text


def host_json(
    hosts: Sequence[HostRun], redact: Callable[[str], str] = _same
) -> list[dict[str, object]]:
    """Each host's result; ``redact`` hides secrets in what came from the host (errors and
    output tails), the rest is the action's own."""
    return [
        {
            "host": h.target.name,
            "result": h.status,
            "previous-release": h.current,
            "error": redact(h.error),
            "steps": [_step(s, redact) for s in h.steps],
        }
        for h in hosts
    ]


def _step(step: Step, redact: Callable[[str], str] = _same) -> dict[str, object]:
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
    icon = ICONS.get(result.status, "")
    summary.heading(f"{icon} Deploy of {app}: {result.status}", 2)
    summary.paragraph(
        f"Release `{result.release}` of `{image}`"
        + (f", before: `{result.previous}`" if result.previous else "")
    )
    names = list(dict.fromkeys(step.name for h in result.hosts for step in h.steps))
    rows = []
    for host in result.hosts:
        by_name: dict[str, tuple[bool, float]] = {}
        for step in host.steps:
            previous = by_name.get(step.name, (True, 0.0))
            by_name[step.name] = (previous[0] and step.ok, previous[1] + step.seconds)
        cells = [
            f"{'' if by_name[n][0] else '❌ '}{by_name[n][1]:.1f}s" if n in by_name else ""
            for n in names
        ]
        rows.append([host.target.name, f"{ICONS.get(host.status, '')} {host.status}", *cells])
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
    left = [h for h in result.hosts if h.status != "deployed"]
    if result.status != "deployed" or not left:
        return ""
    described = [
        f"{h.target.name} ({h.status}"
        + (f", back on {h.current or 'nothing'}" if h.status == "rolled-back" else "")
        + ")"
        for h in left
    ]
    return (
        f"Deployed {result.release}, but {len(left)} host(s) did not take it (within "
        f"max-failures {max_failures}): " + ", ".join(described) + "."
    )


def what_to_do(result: Result) -> list[str]:
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
    errors = [h for h in result.hosts if h.error]
    if errors:
        advice.append(f"The first error was on {errors[0].target.name}: {errors[0].error}")
    return advice
