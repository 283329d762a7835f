"""The result of modes exec, logs, status and maintenance -> outputs, summary and verdict
(pure; :func:`.report.publish` writes them).

Each host's findings go to the ``details`` output as JSON (a list, one object per host, in
the order of the hosts input) and to the summary; what came from the hosts (a command's
output, log lines, errors) is redacted of the run's secrets and fenced in the summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shipyard.runtime import ExternalError, Summary, VerdictFailure
from shipyard.runtime.summary import escape_text, fence

from .hosts import HostView
from .report import ICONS, host_json

TITLES = {
    "exec": "Command on",
    "logs": "Logs of",
    "status": "Status of",
    "maintenance": "Maintenance of",
}


@dataclass(frozen=True)
class OpsResult:
    """How a run of exec, logs, status or maintenance ended."""

    mode: str
    status: str  # ok, failed (exec: a command exited non-zero), planned (dry-run)
    release: str  # the live release (of the first host that has one)
    hosts: Sequence[HostView]
    details: Sequence[Mapping[str, object]]  # per host, in order
    story: Sequence[str]
    texts: Mapping[str, str]  # host -> what it printed (exec's output, the logs), for the summary


def _same(text: str) -> str:
    return text


def outputs(
    result: OpsResult, url: str | None, redact: Callable[[str], str] = _same
) -> dict[str, str]:
    """The step's outputs (``details``: redacted like the hosts' errors)."""
    previous = next((str(d.get("previous-release") or "") for d in result.details), "")
    return {
        "status": result.status,
        "release": result.release,
        "previous-release": previous,
        "hosts": json.dumps(host_json(result.hosts, redact), separators=(",", ":")),
        "url": url or "",
        "details": json.dumps(_redacted(list(result.details), redact), separators=(",", ":")),
    }


def _redacted(value: object, redact: Callable[[str], str]) -> object:
    """Every string inside ``value`` redacted (before the JSON escapes any of it)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: _redacted(item, redact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item, redact) for item in value]
    return value


def _cell(value: object) -> str:
    if value is None or value == "":
        return "-"
    return str(value)


def _status_rows(details: Sequence[Mapping[str, object]]) -> list[list[str]]:
    rows = []
    for d in details:
        containers = d.get("containers") or []
        assert isinstance(containers, list)
        health = ", ".join(f"{c['name']}: {c['health'] or c['state']}" for c in containers)
        uptime = min(
            (int(c["uptime"]) for c in containers if c["uptime"] is not None), default=None
        )
        lock = d.get("lock") or {}
        assert isinstance(lock, dict)
        rows.append([
            str(d["host"]), _cell(d.get("live-release")), _cell(d.get("digest")),
            _cell(None if uptime is None else f"{uptime}s"), _cell(health),
            _cell(d.get("previous-release")),
            "held by " + str(lock.get("holder") or "?") if lock.get("held") else "free",
            _cell(d.get("maintenance")),
        ])  # fmt: skip
    return rows


def summary(
    summary: Summary, result: OpsResult, app: str, redact: Callable[[str], str] = _same
) -> None:
    """The job summary of the mode: a table per host, then what each host printed (fenced)."""
    icon = ICONS.get({"ok": "deployed"}.get(result.status, result.status), "")
    summary.heading(f"{icon} {TITLES[result.mode]} {app}: {result.status}", 2)
    details = result.details
    if result.mode == "status":
        header = ["Host", "Live release", "Digest", "Uptime", "Health", "Previous", "Lock",
                  "Maintenance"]  # fmt: skip
        summary.table(header, _status_rows(details))
    elif result.mode == "exec":
        summary.table(
            ["Host", "Container", "Release", "Exit code"],
            [
                [str(d["host"]), *(_cell(d.get(k)) for k in ("container", "release", "exit"))]
                for d in details
            ],
        )
    elif result.mode == "maintenance":
        summary.table(
            ["Host", "Maintenance"],
            [[str(d["host"]), _cell(d.get("maintenance"))] for d in details],
        )
    else:
        summary.table(
            ["Host", "Release", "Lines"],
            [[str(d["host"]), _cell(d.get("release")), _cell(sum_lines(d))] for d in details],
        )
    for host, text in result.texts.items():
        summary.raw(f"**{escape_text(host)}**")
        summary.raw(fence(redact(text) or "(nothing)"))
    if result.story:
        summary.heading("What happened", 3)
        summary.list(result.story)


def sum_lines(detail: Mapping[str, object]) -> int:
    """How many log lines a host's containers gave."""
    lines = detail.get("lines") or {}
    assert isinstance(lines, dict)
    return sum(int(n) for n in lines.values())


def verdict(result: OpsResult) -> VerdictFailure | ExternalError | None:
    """exec: a command that exited non-zero is the job's failure (exit 1); a host where the
    step could not run is an external failure (exit 3)."""
    errors = [h for h in result.hosts if h.state.error]
    if errors:
        return ExternalError(
            f"{TITLES[result.mode]} the app failed on "
            + "; ".join(f"{h.name}: {h.state.error}" for h in errors),
            title=f"{result.mode} failed",
            hint="See each host's log group.",
        )
    failed = [d for d in result.details if d.get("exit") not in (None, 0)]
    if result.mode == "exec" and failed:
        return VerdictFailure(
            "The command failed on " + ", ".join(f"{d['host']} (exit {d['exit']})" for d in failed),
            title="Command failed",
            hint="Its output is in each host's log group and in the summary.",
        )
    return None
