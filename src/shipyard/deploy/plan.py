"""What a deploy will do: the hosts, their batches and each host's steps (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from .spec import Settings
from .targets import Target


def batch_size(settings: Settings, count: int) -> int:
    if settings.batch_size:
        return min(settings.batch_size, count)
    return 1 if settings.strategy == "rolling" else count


def batches(targets: Sequence[Target], size: int) -> list[list[Target]]:
    return [list(targets[i : i + size]) for i in range(0, len(targets), size)]


def release_id(timestamp: float, run_number: str, attempt: str) -> str:
    """A sortable release id: UTC time, then the run number and attempt."""
    import time

    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(timestamp))
    suffix = f"-r{run_number}" + (f".{attempt}" if attempt not in ("", "1") else "")
    return stamp + (suffix if run_number else "")


def steps(settings: Settings) -> list[str]:
    """The steps each host goes through, in order (for the plan and the summary)."""
    names = ["connect", "lock", "pull"]
    if settings.pre_deploy:
        names.append("pre-deploy")
    if settings.migrate_command:
        names.append("migrate")
    if settings.strategy == "rolling":
        names += [f"replica-{i + 1}" for i in range(settings.replicas)]
    else:
        if settings.strategy == "recreate":
            names.append("stop-old")
        names += ["start", "check", "switch"]
    if settings.post_deploy:
        names.append("post-deploy")
    if settings.smoke_command:
        names.append("smoke")
    if settings.monitor > 0:
        names.append("watch")
    names.append("finish")
    return names


def describe(settings: Settings, targets: Sequence[Target], release: str) -> list[str]:
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
    lines.append("Steps per host: " + " -> ".join(steps(settings)))
    if settings.monitor > 0:
        lines.append(f"Watch {settings.monitor:g}s, a check every {settings.monitor_interval:g}s")
    return lines
