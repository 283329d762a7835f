"""The steps of running the app after the deploy: exec, logs, status (pure).

Each works on the *live release*: the one ``state-dir/<app>/current`` names, its containers
found by their labels (``shipyard.app``, ``shipyard.release``; for compose-file apps the
routed service's, ``shipyard.role=routed``). What comes from the app (a command's output,
its logs) is printed with a ``| `` in front of each line, so it cannot pass for one of the
action's markers; the runner prints it fenced. The steps of ``mode: maintenance`` are in
:mod:`.maintenance_steps`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import markers
from .markers import Markers
from .releases import LockHolder, Release
from .render import ScriptRenderer, quote
from .steps import RemoteStep, Reply

APP_LINE = "| "  # what the app printed starts with this
#: ``docker inspect`` of a live container: state, start, image, role, HEALTHCHECK status.
INSPECT_FORMAT = (
    '{{.State.Status}}|{{.State.StartedAt}}|{{.Image}}|{{index .Config.Labels "shipyard.role"}}'
    "|{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"
)

FUNCTIONS = f"""
# The live release's containers: its routed ones that run (routed), or all of them (every).
live() {{
  local current
  current=$(cat "$STATE/current" 2>/dev/null || true)
  [[ -n $current ]] || return 0
  docker ps --all --filter "label=shipyard.app=$APP" --filter "label=shipyard.release=$current" \\
    --format '{{{{.Names}}}} {{{{.State}}}} {{{{.Label "shipyard.role"}}}}' \\
    | awk -v which="$1" \\
      'which == "every" || (($3 == "" || $3 == "routed") && $2 == "running") {{print $1}}' \\
    | LC_ALL=C sort
}}
no_live() {{
  say {markers.NO_LIVE} "${{1:-none}}"
  echo "no running container of the live release (${{1:-none deployed}}) on this host" >&2
  exit 1
}}
"""


class _OpsStep:
    """An ops step's script: the preamble, the shared functions, its body."""

    renderer: ScriptRenderer

    def body(self) -> str:
        raise NotImplementedError

    def script(self) -> str:
        """The whole script the host runs."""
        return self.renderer.render(FUNCTIONS + self.body())


def app_lines(output: str) -> list[str]:
    """The lines the app printed (without the ``| `` they were given)."""
    return [line[len(APP_LINE) :] for line in output.splitlines() if line.startswith(APP_LINE)]


@dataclass(frozen=True)
class ExecResult:
    """A command's run in a container: where, its exit code, what it printed."""

    container: str
    release: str
    code: int
    output: str


@dataclass(frozen=True)
class Exec(_OpsStep, RemoteStep[ExecResult]):
    """``sh -c COMMAND`` in the live release's first routed container (``docker exec``, no
    terminal, no stdin). The command is quoted into the script, which reaches the host over
    stdin; the step ends 0 whatever the command's exit code, which is its value."""

    renderer: ScriptRenderer
    command: str
    name: str = "exec"

    def body(self) -> str:
        return f"""current=$(cat "$STATE/current" 2>/dev/null || true)
mapfile -t names < <(live routed)
[[ ${{#names[@]}} -gt 0 ]] || no_live "$current"
say {markers.EXEC_IN} "${{names[0]}}" "$current"
set +e
docker exec "${{names[0]}}" sh -c {quote(self.command)} </dev/null 2>&1 | sed 's/^/{APP_LINE}/'
code=${{PIPESTATUS[0]}}
set -e
say {markers.EXEC_EXIT} "$code"
"""

    def parse(self, reply: Reply) -> ExecResult:
        """The container, the release, the exit code, the output."""
        found = Markers.read(reply.output)
        where = (found.all(markers.EXEC_IN) or [["", ""]])[0] + ["", ""]
        code = found.first(markers.EXEC_EXIT)
        output = "\n".join(app_lines(reply.output))
        return ExecResult(where[0], where[1], int(code) if code.isdigit() else -1, output)


@dataclass(frozen=True)
class LogLines:
    """The live release and each of its containers' log lines."""

    release: str
    lines: Mapping[str, list[str]]


@dataclass(frozen=True)
class Logs(_OpsStep, RemoteStep[LogLines]):
    """The last ``lines`` lines (``since``: only those since then) of each container of the
    live release, with docker's timestamps."""

    renderer: ScriptRenderer
    lines: int
    since: str | None = None
    name: str = "logs"

    def body(self) -> str:
        since = f" --since {quote(self.since)}" if self.since else ""
        return f"""current=$(cat "$STATE/current" 2>/dev/null || true)
say {markers.CURRENT} "$current"
mapfile -t names < <(live every)
if [[ ${{#names[@]}} -eq 0 ]]; then say {markers.NO_LIVE} "${{current:-none}}"; exit 0; fi
for name in "${{names[@]}}"; do
  say {markers.LOG_OF} "$name"
  docker logs --timestamps --tail {int(self.lines)}{since} "$name" 2>&1 | sed 's/^/{APP_LINE}/' \\
    || true
done
"""

    def parse(self, reply: Reply) -> LogLines:
        """Each container's lines, in order."""
        found: dict[str, list[str]] = {}
        current: list[str] | None = None
        start = f"{markers.PREFIX} {markers.LOG_OF} "
        for line in reply.output.splitlines():
            if line.startswith(start):
                current = found.setdefault(line[len(start) :].strip(), [])
            elif line.startswith(APP_LINE) and current is not None:
                current.append(line[len(APP_LINE) :])
        return LogLines(Markers.read(reply.output).first(markers.CURRENT), found)


@dataclass(frozen=True)
class Container:
    """One container of the live release, as the status step saw it."""

    name: str
    state: str
    started: int  # Unix time (0: unknown)
    health: str  # the HTTP status of health-path ('' when not probed: not routed, not running)
    docker_health: str  # its HEALTHCHECK's status, or "none"
    image: str  # the image id


def _container(words: list[str]) -> Container:
    name, state, started, health, docker_health, image = words[:6]
    return Container(
        name,
        state,
        int(started) if started.isdigit() else 0,
        "" if health == "-" else health,
        docker_health,
        image,
    )


@dataclass(frozen=True)
class HostStatus:
    """What ``mode: status`` found on one host."""

    current: str = ""
    containers: tuple[Container, ...] = ()
    records: tuple[Release, ...] = ()
    holder: LockHolder | None = None
    locked: bool = False
    maintenance: tuple[str, ...] = ()  # ("on", PORT, SINCE) or ("off",)
    now: int = 0  # the host's clock
    digests: Mapping[str, str] = field(default_factory=dict)  # image id -> a repo digest


@dataclass(frozen=True)
class Status(_OpsStep, RemoteStep[HostStatus]):
    """Read the host's state for the app, changing nothing (the lock is not taken): the live
    release and each of its containers (state, start, health through its loopback port, its
    HEALTHCHECK), the release records, the lock's holder, maintenance."""

    renderer: ScriptRenderer
    name: str = "status"

    def body(self) -> str:
        p = markers.PREFIX
        return f"""current=$(cat "$STATE/current" 2>/dev/null || true)
say {markers.CURRENT} "$current"
say {markers.NOW} "$(date +%s)"
if [[ -d $STATE/lock ]]; then
  say {markers.LOCKED}
  holder=$(tr -d '\\n' <"$STATE/lock/holder.json" 2>/dev/null || echo '{{}}')
  printf '{p} {markers.HOLDER} %s\\n' "$holder"
fi
if [[ -s $STATE/maintenance/port ]]; then
  say {markers.MAINTENANCE} on "$(cat "$STATE/maintenance/port")" \\
    "$(cat "$STATE/maintenance/since" 2>/dev/null || echo 0)"
else
  say {markers.MAINTENANCE} off
fi
for record in "$STATE"/releases/*.json; do
  [[ -e $record ]] && printf '{p} {markers.RELEASE} %s\\n' "$(tr -d '\\n' <"$record")"
done
while read -r name; do
  [[ -n $name ]] || continue
  IFS='|' read -r state started image role health \\
    < <(docker inspect --format {quote(INSPECT_FORMAT)} "$name" 2>/dev/null) || continue
  epoch=$(date -d "$started" +%s 2>/dev/null || echo 0)
  code=-
  if [[ $state == running && ( -z $role || $role == routed ) ]]; then
    code=$(http_status "$(host_port "$name")")
  fi
  say {markers.LIVE} "$name" "$state" "$epoch" "$code" "$health" "$image"
  say {markers.DIGEST} "$image" "$(docker image inspect --format \\
    '{{{{range .RepoDigests}}}}{{{{println .}}}}{{{{end}}}}' "$image" 2>/dev/null | head -n1)"
done < <(live every)
"""

    def parse(self, reply: Reply) -> HostStatus:
        """The host's state for the app."""
        found = Markers.read(reply.output)
        containers = tuple(_container(w) for w in found.all(markers.LIVE) if len(w) >= 6)
        records = (Release.from_json(json.dumps(d)) for d in found.json(markers.RELEASE))
        holders = found.json(markers.HOLDER)
        now = found.first(markers.NOW)
        return HostStatus(
            current=found.first(markers.CURRENT),
            containers=containers,
            records=tuple(r for r in records if r is not None),
            holder=LockHolder.from_json(json.dumps(holders[0])) if holders else None,
            locked=found.has(markers.LOCKED),
            maintenance=tuple((found.all(markers.MAINTENANCE) or [["off"]])[0]),
            now=int(now) if now.isdigit() else 0,
            digests={w[0]: w[1] for w in found.all(markers.DIGEST) if len(w) >= 2},
        )
