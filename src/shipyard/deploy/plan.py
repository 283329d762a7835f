"""What a deploy will do: the hosts, their batches and each host's steps (pure).

The steps are named by running the strategy's own step sequences without running a step
(:func:`~.strategies.planned_names`), so the plan says what the run does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from .hosts import HostView
from .spec import Settings
from .strategies import Strategy, planned_names
from .targets import Target


def batch_size(settings: Settings, count: int) -> int:
    """Hosts worked at once: batch-size, else all of them (rolling: one)."""
    if settings.batch_size:
        return min(settings.batch_size, count)
    return 1 if settings.strategy == "rolling" else count


def batches(targets: Sequence[Target], size: int) -> list[list[Target]]:
    """``targets`` in batches of ``size``, in order."""
    return [list(targets[i : i + size]) for i in range(0, len(targets), size)]


def release_id(timestamp: float, run_number: str, attempt: str) -> str:
    """A sortable release id: UTC time, then the run number and attempt."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(timestamp))
    suffix = f"-r{run_number}" + (f".{attempt}" if attempt not in ("", "1") else "")
    return stamp + (suffix if run_number else "")


def host_steps(strategy: Strategy, host: HostView) -> list[str]:
    """The steps the host goes through, in order, from the strategy's own sequences."""
    names = ["connect", "lock", *planned_names(strategy.rollout(host))]
    checks = strategy.checks()
    if checks:
        first = strategy.watch(host, 1).name
        names.append(first if checks == 1 else f"{first}..{checks}")
    return names + planned_names(strategy.finish(host))


def revert_steps(strategy: Strategy, host: HostView) -> list[str]:
    """The steps that put the host back after a failure: the strategy's revert, the record of
    the result, and what runs after it (post-rollback)."""
    steps = [
        *strategy.revert(host, 1),
        strategy.record(host, "rolled-back"),
        *strategy.after_revert(host),
    ]
    return [step.name for step in steps]


def step_lines(strategy: Strategy, hosts: Sequence[HostView]) -> list[str]:
    """``Steps per host: ...``, or a line per host when their steps differ (a host with no
    release yet has none to stop); the same for the steps of a rollback."""
    return _per_host("Steps", {h.name: host_steps(strategy, h) for h in hosts}) + _per_host(
        "Rollback steps", {h.name: revert_steps(strategy, h) for h in hosts}
    )


def _per_host(what: str, steps: dict[str, list[str]]) -> list[str]:
    per_host = {name: " -> ".join(names) for name, names in steps.items()}
    if len(set(per_host.values())) <= 1:
        return [f"{what} per host: {line}" for line in list(per_host.values())[:1]]
    return [f"{what} on {name}: {line}" for name, line in per_host.items()]


def describe(
    settings: Settings, targets: Sequence[Target], release: str, steps: Sequence[str]
) -> list[str]:
    """The plan as lines (dry-run prints them, the summary shows them)."""
    size = batch_size(settings, len(targets))
    lines = [
        f"Release {release}: {settings.image}",
        f"Strategy {settings.strategy}, "
        + (
            f"compose project {settings.app}-<release> from {settings.compose_file}"
            if settings.compose_file
            else f"{settings.replicas} replica(s) per host"
        )
        + f", proxy {settings.proxy}",
    ]
    for number, batch in enumerate(batches(targets, size), 1):
        lines.append(f"Batch {number}: " + ", ".join(t.name for t in batch))
    lines += steps
    if settings.monitor > 0:
        lines.append(f"Watch {settings.monitor:g}s, a check every {settings.monitor_interval:g}s")
    return lines
