"""Remote steps as values: each renders its bash script and reads its own result (pure).

A step is a frozen dataclass with a ``name`` (as the ``hosts`` output and the summary show
it), :meth:`~RemoteStep.script` (the whole script, see :mod:`.render`),
:meth:`~RemoteStep.parse` (the step's markers -> a typed value: the lock step returns the
lock's state and the host's facts, the pull its digest, a watch check its request counts) and
``ok_codes`` (exit codes that are an answer, not a failure). :meth:`~RemoteStep.created` names
the containers a step starts, which a revert removes. Strategies (:mod:`.strategies`) yield
these values; the fleet runs them through a transport; tests render them to golden files.
Steps of compose-file apps are in :mod:`.compose_steps`.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from . import disk, markers, nginx
from .disk import NO_SPACE, Shortage
from .hosts import HostFacts
from .markers import Markers
from .releases import LockHolder, Release
from .render import ScriptRenderer, quote

T = TypeVar("T")
LOCK_HELD = 75  # EX_TEMPFAIL: another run holds the lock
NO_COMPOSE = 78  # EX_CONFIG: the host has no docker compose v2


class Reply(Protocol):
    """What a transport returns for a step (the runtime's ``ProcessResult`` is one)."""

    @property
    def returncode(self) -> int:
        """The script's exit code (the transport's own on a lost connection)."""
        ...

    @property
    def output(self) -> str:
        """What the script printed."""
        ...

    @property
    def duration(self) -> float:
        """Seconds the step took."""
        ...

    @property
    def timed_out(self) -> bool:
        """The step ran past its timeout and was stopped."""
        ...

    def tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the output."""
        ...


def draining(reply: Reply) -> tuple[str, ...]:
    """nginx's workers of before a switch (``draining`` PID...): PIDs only."""
    words = Markers.read(reply.output).all(markers.DRAINING)
    return tuple(w for w in (words[0] if words else []) if w.isdigit())


class StepFailed(Exception):
    """A remote step failed (or could not start); the message says what happened."""


class RemoteStep(Generic[T]):
    """What every step has (subclasses are frozen dataclasses with a ``renderer``)."""

    name: str
    renderer: ScriptRenderer
    ok_codes: tuple[int, ...] = (0,)

    def body(self) -> str:
        """The step's own bash, after the preamble."""
        raise NotImplementedError

    def script(self) -> str:
        """The whole script the host runs."""
        return self.renderer.render(self.body())

    def parse(self, reply: Reply) -> T:
        """The step's result, read from its markers (called when its exit code is ok)."""
        return None  # type: ignore[return-value]

    def created(self, value: T | None) -> tuple[str, ...]:
        """The containers this step starts (a revert removes them), given its parsed value
        (None when it failed or was stopped)."""
        return ()

    def planned(self) -> T:
        """A stand-in for the step's value when a plan is made without running it."""
        return None  # type: ignore[return-value]


#: Steps in order, each of which may read the value of the one before (``value = yield step``).
StepFlow = Generator[RemoteStep[Any], Any, None]


# -- the lock, and the host's state read with it ----------------------------------------------
INSPECT = f"""if ! command -v docker >/dev/null; then
  echo "docker is not installed on this host" >&2
  exit 3
fi
docker version --format 'docker {{{{.Server.Version}}}}' >/dev/null
say {markers.CURRENT} "$(cat "$STATE/current" 2>/dev/null || true)"
docker ps --all --filter "label=shipyard.app=$APP" \\
  --format '{markers.PREFIX} {markers.CONTAINER} {{{{.Names}}}} {{{{.Label "shipyard.release"}}}} \
{{{{.State}}}}'
for record in "$STATE"/releases/*.json; do
  [[ -e $record ]] && printf '{markers.PREFIX} {markers.RELEASE} %s\\n' "$(tr -d '\\n' <"$record")"
done
for dir in "$STATE"/compose/*/; do
  [[ -d $dir ]] && printf '{markers.PREFIX} {markers.COMPOSE_RELEASE} %s\\n' "$(basename "$dir")"
done
true
"""


def read_facts(found: Markers) -> HostFacts:
    """The host's state from the lock step's markers."""
    releases = (Release.from_json(json.dumps(data)) for data in found.json(markers.RELEASE))
    return HostFacts(
        current=found.first(markers.CURRENT),
        containers={w[0]: (w[1], w[2]) for w in found.all(markers.CONTAINER) if len(w) >= 3},
        records=tuple(r for r in releases if r is not None),
        compose_releases=frozenset(w[0] for w in found.all(markers.COMPOSE_RELEASE) if w),
    )


@dataclass(frozen=True)
class LockState:
    """What the lock step found: ``locked`` (or ``taken-over``, a stale lock) with the host's
    facts, ``held`` by another run, or ``no-compose``/``no-space`` (the host cannot take the
    deploy)."""

    outcome: Literal["locked", "taken-over", "held", "no-compose", "no-space"]
    holder: LockHolder | None = None  # the run that held it (held, taken-over)
    facts: HostFacts = field(default_factory=HostFacts)
    compose_found: str = ""  # no-compose: what `docker compose version` said
    shortage: Shortage | None = None  # no-space: where, how much free, how much needed

    @property
    def taken(self) -> bool:
        """This run holds the lock now."""
        return self.outcome in ("locked", "taken-over")


@dataclass(frozen=True)
class Lock(RemoteStep[LockState]):
    """Take the deploy lock (a stale one is taken over), then read the host's state in the same
    round trip. ``precheck`` runs first, then the disk check (``space`` bytes free for the
    pull of ``image``; 0: none): a host either refuses is not locked."""

    renderer: ScriptRenderer
    holder: LockHolder
    precheck: str = ""
    name: str = "lock"
    ok_codes: tuple[int, ...] = (0, LOCK_HELD, NO_COMPOSE, NO_SPACE)
    space: int = 0
    image: str = ""

    def body(self) -> str:
        holder = self.holder
        return (
            self.precheck
            + disk.precheck(self.image, self.space)
            + "after_lock() {\n"
            + INSPECT
            + "}\n"
            + f"""LOCK="$STATE/lock"
write_lock() {{
  printf '%s\\n' {quote(holder.id)} >"$LOCK/id"
  printf '%s\\n' "$(date +%s)" >"$LOCK/started"
  printf '%s\\n' {int(holder.ttl)} >"$LOCK/ttl"
  printf '%s\\n' {quote(holder.to_json())} >"$LOCK/holder.json"
}}
if mkdir "$LOCK" 2>/dev/null; then write_lock; say {markers.LOCKED}; after_lock; exit 0; fi
if [[ $(cat "$LOCK/id" 2>/dev/null) == {quote(holder.id)} ]]; then say {markers.LOCKED}; \
after_lock; exit 0; fi
started=$(cat "$LOCK/started" 2>/dev/null || echo 0)
ttl=$(cat "$LOCK/ttl" 2>/dev/null || echo 0)
printf '{markers.PREFIX} {markers.HOLDER} %s\\n' "$(cat "$LOCK/holder.json" 2>/dev/null || \
echo '{{}}')"
if (( $(date +%s) - started > ttl )); then
  stale="$LOCK.stale.$$"
  if mv "$LOCK" "$stale" 2>/dev/null && mkdir "$LOCK" 2>/dev/null; then
    rm -rf "$stale"; write_lock; say {markers.TAKEN_OVER}; after_lock; exit 0
  fi
fi
say {markers.HELD}
exit {LOCK_HELD}
"""
        )

    def parse(self, reply: Reply) -> LockState:
        """See :class:`LockState`."""
        found = Markers.read(reply.output)
        if reply.returncode == NO_COMPOSE:
            seen = found.all(markers.NO_COMPOSE)
            return LockState("no-compose", compose_found=" ".join(seen[0]) if seen else "")
        if reply.returncode == NO_SPACE:
            words = (found.all(markers.NO_SPACE) or [[]])[0]
            return LockState("no-space", shortage=Shortage.read(words))
        holders = found.json(markers.HOLDER)
        holder = LockHolder.from_json(json.dumps(holders[0])) if holders else None
        if reply.returncode == LOCK_HELD:
            return LockState("held", holder)
        if found.has(markers.TAKEN_OVER):
            return LockState("taken-over", holder, read_facts(found))
        return LockState("locked", holder, read_facts(found))


@dataclass(frozen=True)
class Unlock(RemoteStep[bool]):
    """Release the lock if this run (``lock_id``) still holds it, and forget the steps this
    run started under ``tag`` (and those of runs whose step has ended since, e.g. killed)."""

    renderer: ScriptRenderer
    lock_id: str
    tag: str = ""
    name: str = "unlock"

    def body(self) -> str:
        forget = f"rm -f {STEP_FILES}/{quote(self.tag)}.*\n" if self.tag else ""
        return (
            forget
            + f"""for file in {STEP_FILES}/*; do
  [[ -e $file ]] || continue
  recorded=$(cat "$file" 2>/dev/null || true)
  [[ $(proc_stat "${{file##*.}}" || true) == "$recorded" ]] || rm -f "$file"
done
if [[ $(cat "$STATE/lock/id" 2>/dev/null) == {quote(self.lock_id)} ]]; then
  rm -rf "$STATE/lock"; say {markers.UNLOCKED}
fi
"""
        )


#: Where each tagged step records itself (see :data:`~.render.TRACK_STEP`).
STEP_FILES = '"$STATE/steps"'


@dataclass(frozen=True)
class StopSteps(RemoteStep[int]):
    """Stop this run's steps still running on the host under ``tag`` (``bash -s TAG``): each
    recorded its process group and start time in ``$STATE/steps/TAG.PID`` when it started
    (:data:`~.render.TRACK_STEP`). A step whose PID still names the same process (same start
    time: not a PID reused since) gets SIGTERM to its process group, which holds its children
    too (a hook's shell, the docker CLI); a group still there after 10 s gets SIGKILL. No
    ``pgrep`` or ``ps`` is needed on the host, only ``/proc``. The value: how many were
    stopped."""

    renderer: ScriptRenderer
    tag: str
    name: str = "stop-steps"

    def body(self) -> str:
        unsupported = markers.STOP_STEPS_UNSUPPORTED
        return f"""proc_stat $$ >/dev/null || {{ say {unsupported}; exit 0; }}
own=$(proc_stat $$)
own=${{own%% *}}
groups=()
for file in {STEP_FILES}/{quote(self.tag)}.*; do
  [[ -e $file ]] || continue
  pid=${{file##*.}}
  recorded=$(cat "$file" 2>/dev/null || true)
  group=${{recorded%% *}}
  if [[ $(proc_stat "$pid" || true) == "$recorded" && $group -gt 1 && $group != "$own" ]]; then
    kill -TERM -- "-$group" 2>/dev/null || true
    say {markers.STOPPED_STEP} "$pid"
    groups+=("$group")
  fi
  rm -f "$file"
done
for _ in {{1..20}}; do
  alive=0
  for group in ${{groups[@]+"${{groups[@]}}"}}; do
    if kill -0 -- "-$group" 2>/dev/null; then alive=1; fi
  done
  ((alive)) || exit 0
  sleep 0.5
done
for group in "${{groups[@]}}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
"""

    def parse(self, reply: Reply) -> int:
        """How many running steps were stopped."""
        return len(Markers.read(reply.output).all(markers.STOPPED_STEP))


# -- before the new release starts ------------------------------------------------------------
def repository(image: str) -> str:
    """The repository part of an image reference (no tag, no digest)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name.rsplit(":", 1)[0]
    return name


@dataclass(frozen=True)
class Pull(RemoteStep[str]):
    """Pull the image (logged in with a private DOCKER_CONFIG when a user is given, the password
    over stdin); the value is its digest (``repository@sha256:...``, '' when unknown)."""

    renderer: ScriptRenderer
    username: str = ""
    password: str = ""
    image: str = ""  # default: the renderer's
    name: str = "pull"

    def body(self) -> str:
        image = self.image or self.renderer.image
        login = ""
        if self.username:
            first = image.split("/", 1)[0]
            server = (
                first
                if ("." in first or ":" in first or first == "localhost") and "/" in image
                else "docker.io"
            )
            login = (
                "DOCKER_CONFIG=$(mktemp -d)\nexport DOCKER_CONFIG\n"
                "trap 'rm -rf \"$DOCKER_CONFIG\"' EXIT\n"
                f"docker login --username {quote(self.username)} --password-stdin "
                f"{quote(server)} >/dev/null"
                + self.renderer.heredoc("", self.password, "PW").removeprefix("cat >")
            )
        return (
            login
            + f"""docker pull --quiet {quote(image)} >/dev/null
say {markers.DIGEST} "$(docker image inspect \\
  --format '{{{{range .RepoDigests}}}}{{{{println .}}}}{{{{end}}}}' \\
  {quote(image)} | grep -F -m1 {quote(repository(image) + "@")} || true)"
"""
        )

    def parse(self, reply: Reply) -> str:
        """The image's digest."""
        return Markers.read(reply.output).first(markers.DIGEST)


@dataclass(frozen=True)
class Hook(RemoteStep[None]):
    """A user's shell command on the host (``bash -c``), with the release's variables.

    ``upstreams``: the new containers; ``SHIPYARD_UPSTREAMS`` then holds the address each
    publishes the app's port on (``127.0.0.1:PORT``, space-separated, in order), read on the
    host as the hook starts (a container that publishes none fails the step, naming it)."""

    renderer: ScriptRenderer
    command: str
    name: str
    extra: Mapping[str, str] = field(default_factory=dict)
    upstreams: Sequence[str] = ()

    def body(self) -> str:
        r = self.renderer
        exports = "".join(f"export {k}={quote(v)}\n" for k, v in self.extra.items())
        if self.upstreams:
            exports += (
                f"upstreams=()\nfor name in {' '.join(quote(n) for n in self.upstreams)}; do\n"
                '  port=$(host_port "$name")\n'
                '  [[ -n $port ]] || { echo "$name publishes no port for SHIPYARD_UPSTREAMS" >&2; '
                "exit 1; }\n"
                '  upstreams+=("127.0.0.1:$port")\ndone\n'
                'export SHIPYARD_UPSTREAMS="${upstreams[*]}"\n'
            )
        return (
            f"export SHIPYARD_APP={quote(r.app)} SHIPYARD_RELEASE={quote(r.release)} "
            f"SHIPYARD_IMAGE={quote(r.image)}\n{exports}"
            f"say {markers.HOOK} {quote(self.name)}\nbash -euo pipefail -c {quote(self.command)}\n"
        )


def post_rollback(renderer: ScriptRenderer, command: str, failed_release: str) -> Hook:
    """``post-rollback``: the user's shell on a host that is back on the release that ran before
    (e.g. a restore of what pre-deploy backed up). ``SHIPYARD_FAILED_RELEASE`` names the release
    taken away; ``SHIPYARD_RELEASE`` is the run's, as in its other hooks (a deploy's new
    release, or the one ``mode: rollback`` went back to)."""
    return Hook(renderer, command, "post-rollback", {"SHIPYARD_FAILED_RELEASE": failed_release})


@dataclass(frozen=True)
class Migrate(RemoteStep[None]):
    """``migrate-command`` once, in a one-off container of the image (with the app's env)."""

    renderer: ScriptRenderer
    command: str
    env: Mapping[str, str]
    name: str = "migrate"

    def body(self) -> str:
        r = self.renderer
        container = f"{r.app}-{r.release}-migrate"
        return (
            r.env_file(self.env) + f"docker rm -f {quote(container)} >/dev/null 2>&1 || true\n"
            f"docker run --rm --name {quote(container)} --label shipyard.oneoff={quote(r.app)} "
            f"{r.run_args()} {quote(r.image)} sh -c {quote(self.command)}\n"
            f"say {markers.MIGRATED}\n"
        )


# -- after the switch, and at the end ---------------------------------------------------------
@dataclass(frozen=True)
class LogSize(RemoteStep[int]):
    """The access log's size now (the watch counts the answers after it); 0 without one."""

    renderer: ScriptRenderer
    access_log: str | None
    name: str = "log-size"

    def body(self) -> str:
        if not self.access_log:
            return f"say {markers.LOG_SIZE} 0\n"
        log = nginx.remote_path(self.access_log)
        return f'say {markers.LOG_SIZE} "$(stat -c %s {log} 2>/dev/null || echo 0)"\n'

    def parse(self, reply: Reply) -> int:
        """The size in bytes."""
        size = Markers.read(reply.output).first(markers.LOG_SIZE)
        return int(size) if size.isdigit() else 0


@dataclass(frozen=True)
class Requests:
    """Answers in the access log since the switch, and how many were 5xx."""

    total: int
    errors: int


@dataclass(frozen=True)
class Watch(RemoteStep["Requests | None"]):
    """One check of the watch: each new container healthy (``extra``: more bash that sets
    ``failed=1``); the answers in the access log since byte ``since``."""

    renderer: ScriptRenderer
    names: Sequence[str]
    access_log: str | None
    since: int
    number: int
    extra: str = ""

    @property
    def name(self) -> str:  # type: ignore[override]
        """``watch-N``."""
        return f"watch-{self.number}"

    def body(self) -> str:
        body = "failed=0\n" + self.extra
        for name in self.names:
            body += (
                f'code=$(http_status "$(host_port {quote(name)})")\n'
                f'say {markers.CHECK} {quote(name)} "$code"\n'
                f"[[ $code == 2?? ]] || failed=1\n"
            )
        if self.access_log:
            log = nginx.remote_path(self.access_log)
            body += (
                # While maintenance is on the log holds its 503s, not the app's answers.
                f"if [[ -r {log} && ! -s $STATE/maintenance/port ]]; then\n"
                f"  tail -c +{self.since + 1} {log} | awk '{{n++; if ($9 ~ /^5/) e++}} "
                f'END {{printf "{markers.PREFIX} {markers.REQUESTS} %d %d\\n", n, e}}\'\n'
                f'  say {markers.LOG_SIZE} "$(stat -c %s {log})"\nfi\n'
            )
        return body + "exit $failed\n"

    def parse(self, reply: Reply) -> Requests | None:
        """The access log's counts (None without an access log)."""
        counts = Markers.read(reply.output).all(markers.REQUESTS)
        if counts and len(counts[0]) == 2 and all(c.isdigit() for c in counts[0]):
            return Requests(int(counts[0][0]), int(counts[0][1]))
        return None


@dataclass(frozen=True)
class Record(RemoteStep[None]):
    """Write the release record, append to the audit log, prune releases beyond ``keep``.

    Only releases recorded in this state dir are pruned: containers of the same app that
    another state dir (another deploy user, or a second environment on one Docker engine)
    started are not this deploy's to remove. Pruning is best effort: a container that cannot
    be removed is said (``prune-failed``), it does not fail the step."""

    renderer: ScriptRenderer
    release_json: str
    audit_json: str
    release: str
    keep: int
    name: str = "record"

    def body(self) -> str:
        compose_prune = (
            '  docker compose -p "$APP-${old//./-}" down --remove-orphans >/dev/null 2>&1 || true\n'
            if self.renderer.compose
            else ""
        )
        record, audit, release = map(quote, (self.release_json, self.audit_json, self.release))
        return f"""printf '%s\\n' {record} >"$STATE/releases/"{release}.json
printf '%s\\n' {audit} >>"$STATE/audit.log"
docker ps --all --filter "label=shipyard.app=$APP" --format '{{{{.Label "shipyard.release"}}}}' \\
  | sort -u | sort -r | while read -r old; do
  if [[ $old =~ ^[A-Za-z0-9._-]+$ && -e $STATE/releases/$old.json ]]; then echo "$old"; fi
done | tail -n +{self.keep + 1} | while read -r old; do
  [[ $old == "$(cat "$STATE/current" 2>/dev/null)" ]] && continue
{compose_prune}  if docker ps --all --quiet --filter "label=shipyard.app=$APP" \\
    --filter "label=shipyard.release=$old" | xargs -r docker rm --force >/dev/null 2>&1; then
    say {markers.PRUNED} "$old"
  else
    say {markers.PRUNE_FAILED} "$old"
  fi
done
true
"""
