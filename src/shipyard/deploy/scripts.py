"""The bash scripts each host runs, rendered with every value shell-quoted (pure).

A script goes to ``bash -s`` over the SSH connection's stdin, never on a command line, so the
secrets it carries (the app's env values, the registry password) appear in no ``ps`` output
and no sshd log: they are written by here-documents into 0600 files that the script removes.
Scripts report to the action with ``@@shipyard <word> ...`` lines.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import health, nginx
from .releases import LockHolder

q = shlex.quote


def _heredoc(target: str, content: str, tag: str) -> str:
    """Write ``content`` to ``target`` (already quoted) through a quoted here-document."""
    delimiter = f"SHIPYARD_{tag}_{secrets.token_hex(8)}"
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"cat >{target} <<'{delimiter}'\n{body}{delimiter}\n"


@dataclass(frozen=True)
class Remote:
    """Everything the scripts need to know about the app, for one host."""

    app: str
    state_dir: str
    image: str
    port: int
    release: str
    replicas: int
    health_attempts: int
    health_interval: float
    health_path: str
    proxy: str
    proxy_config: str
    proxy_check: str
    proxy_reload: str
    volumes: tuple[str, ...] = ()
    run_url: str = ""
    actor: str = ""
    compose: bool = False  # compose-file: one docker compose project per release

    def name(self, release: str, replica: int) -> str:
        return f"{self.app}-{release}-{replica}"

    def names(self, release: str | None = None) -> list[str]:
        return [self.name(release or self.release, i) for i in range(1, self.replicas + 1)]

    # -- pieces -----------------------------------------------------------------------------
    def preamble(self) -> str:
        state = nginx.remote_path(self.state_dir.rstrip("/") + "/" + self.app)
        proxy = (
            nginx.switch_function(
                self.app, self.proxy_config, self.port, self.proxy_check, self.proxy_reload
            )
            if self.proxy == "nginx"
            else nginx.no_proxy_function()
        )
        return (
            "set -euo pipefail\numask 077\n"
            f"STATE={state}\n"
            "# shellcheck disable=SC2034 # not every step uses it\n"
            f"APP={q(self.app)}\n"
            'mkdir -p "$STATE/releases"\n'
            "say() { printf '@@shipyard %s\\n' \"$*\"; }\n"
            + health.functions(self.port, self.health_path)
            + proxy
        )

    def script(self, body: str) -> str:
        return self.preamble() + "\n" + body

    def env_file(self, env: Mapping[str, str]) -> str:
        """Bash that writes the app's env to a 0600 file removed when the script ends."""
        content = "".join(f"{key}={value}\n" for key, value in env.items())
        return (
            'ENVFILE=$(mktemp "$STATE/env.XXXXXXXX")\n'
            "trap 'rm -f \"$ENVFILE\"' EXIT\n" + _heredoc('"$ENVFILE"', content, "ENV")
        )

    def run_args(self) -> str:
        volumes = " ".join(f"--volume {q(v)}" for v in self.volumes)
        return f'--env-file "$ENVFILE" {volumes}'.strip()

    def start_container(
        self, name: str, release: str, replica: int, image: str | None = None
    ) -> str:
        labels = (
            f"--label shipyard.app={q(self.app)} --label shipyard.release={q(release)} "
            f"--label shipyard.replica={replica}"
        )
        return (
            f"docker rm -f {q(name)} >/dev/null 2>&1 || true\n"
            f"docker run --detach --name {q(name)} {labels} --restart unless-stopped "
            f"{self.run_args()} --publish 127.0.0.1::{self.port} "
            f"{q(image or self.image)} >/dev/null\n"
            f'say started {q(name)} "$(host_port {q(name)})"\n'
        )

    def wait(self, names: Sequence[str]) -> str:
        return "".join(
            f"wait_healthy {q(n)} {self.health_attempts} {self.health_interval:g}\n" for n in names
        )

    def switch(self, release: str, names: Sequence[str]) -> str:
        return f"switch_to {q(release)} {' '.join(q(n) for n in names)}\n"


# -- the steps ---------------------------------------------------------------------------------
INSPECT = """if ! command -v docker >/dev/null; then
  echo "docker is not installed on this host" >&2
  exit 3
fi
docker version --format 'docker {{.Server.Version}}' >/dev/null
say current "$(cat "$STATE/current" 2>/dev/null || true)"
docker ps --all --filter "label=shipyard.app=$APP" \\
  --format '@@shipyard container {{.Names}} {{.Label "shipyard.release"}} {{.State}}'
for record in "$STATE"/releases/*.json; do
  [[ -e $record ]] && printf '@@shipyard release %s\\n' "$(tr -d '\\n' <"$record")"
done
for dir in "$STATE"/compose/*/; do
  [[ -d $dir ]] && printf '@@shipyard compose-release %s\\n' "$(basename "$dir")"
done
true
"""


def lock(remote: Remote, holder: LockHolder, precheck: str = "") -> str:
    """Take the lock (exit 75 when another holds it; a lock past its TTL is taken over), then
    report the host's state as :func:`inspect` does (one round trip for both). ``precheck``
    runs first: a host it refuses is not locked."""
    return remote.script(
        precheck
        + "after_lock() {\n"
        + INSPECT
        + "}\n"
        + f"""LOCK="$STATE/lock"
write_lock() {{
  printf '%s\\n' {q(holder.id)} >"$LOCK/id"
  printf '%s\\n' "$(date +%s)" >"$LOCK/started"
  printf '%s\\n' {int(holder.ttl)} >"$LOCK/ttl"
  printf '%s\\n' {q(holder.to_json())} >"$LOCK/holder.json"
}}
if mkdir "$LOCK" 2>/dev/null; then write_lock; say locked; after_lock; exit 0; fi
if [[ $(cat "$LOCK/id" 2>/dev/null) == {q(holder.id)} ]]; then say locked; after_lock; exit 0; fi
started=$(cat "$LOCK/started" 2>/dev/null || echo 0)
ttl=$(cat "$LOCK/ttl" 2>/dev/null || echo 0)
printf '@@shipyard holder %s\\n' "$(cat "$LOCK/holder.json" 2>/dev/null || echo '{{}}')"
if (( $(date +%s) - started > ttl )); then
  stale="$LOCK.stale.$$"
  if mv "$LOCK" "$stale" 2>/dev/null && mkdir "$LOCK" 2>/dev/null; then
    rm -rf "$stale"; write_lock; say taken-over; after_lock; exit 0
  fi
fi
say held
exit 75
"""
    )


def unlock(remote: Remote, lock_id: str) -> str:
    return remote.script(
        f"""if [[ $(cat "$STATE/lock/id" 2>/dev/null) == {q(lock_id)} ]]; then
  rm -rf "$STATE/lock"; say unlocked
fi
"""
    )


def stop_steps(remote: Remote, tag: str) -> str:
    """Stop the steps still running on the host under ``tag`` (``bash -s TAG``, see
    ``Ssh.run``): SIGTERM to each one's process group (sshd makes each session its own), which
    holds its children too (a hook's shell, the docker CLI)."""
    return remote.script(
        f"""command -v pgrep >/dev/null || {{ say stop-steps-unsupported; exit 0; }}
own=$(ps -o pgid= -p $$ | tr -d ' ')
for pid in $(pgrep -x -f -- {q("bash -s " + tag)} || true); do
  group=$(ps -o pgid= -p "$pid" | tr -d ' ') || continue
  [[ -n $group && $group -gt 1 && $group != "$own" ]] || continue
  kill -TERM -- "-$group" 2>/dev/null || true
  say stopped-step "$pid"
done
for _ in {{1..20}}; do
  pgrep -x -f -- {q("bash -s " + tag)} >/dev/null || exit 0
  sleep 0.5
done
pkill -KILL -x -f -- {q("bash -s " + tag)} || true
"""
    )


def inspect(remote: Remote) -> str:
    """Report the current release, the app's containers and the release records."""
    return remote.script(INSPECT)


def pull(remote: Remote, username: str, password: str, image: str | None = None) -> str:
    image = image or remote.image
    login = ""
    if username:
        first = image.split("/", 1)[0]
        server = (
            first
            if ("." in first or ":" in first or first == "localhost") and "/" in image
            else "docker.io"
        )
        login = (
            "DOCKER_CONFIG=$(mktemp -d)\nexport DOCKER_CONFIG\n"
            "trap 'rm -rf \"$DOCKER_CONFIG\"' EXIT\n"
            f"docker login --username {q(username)} --password-stdin {q(server)} >/dev/null"
            + _heredoc("", password, "PW").removeprefix("cat >")
        )
    return remote.script(
        login
        + f"""docker pull --quiet {q(image)} >/dev/null
say digest "$(docker image inspect \\
  --format '{{{{range .RepoDigests}}}}{{{{println .}}}}{{{{end}}}}' \\
  {q(image)} | grep -F -m1 {q(repository(image) + "@")} || true)"
"""
    )


def repository(image: str) -> str:
    """The repository part of an image reference (no tag, no digest)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name.rsplit(":", 1)[0]
    return name


def hook(
    remote: Remote,
    command: str,
    step: str,
    extra: Mapping[str, str] | None = None,
    containers: Sequence[str] = (),
) -> str:
    exports = "".join(f"export {k}={q(v)}\n" for k, v in (extra or {}).items())
    if containers:  # SHIPYARD_UPSTREAMS: the new containers' published addresses (host:port)
        names = " ".join(q(n) for n in containers)
        exports += (
            f'SHIPYARD_UPSTREAMS=$(for c in {names}; do docker port "$c" {remote.port}/tcp'
            " | head -n1; done | tr '\\n' ' ')\nexport SHIPYARD_UPSTREAMS\n"
        )
    return remote.script(
        f"export SHIPYARD_APP={q(remote.app)} SHIPYARD_RELEASE={q(remote.release)} "
        f"SHIPYARD_IMAGE={q(remote.image)}\n{exports}"
        f"say hook {q(step)}\nbash -euo pipefail -c {q(command)}\n"
    )


def migrate(remote: Remote, command: str, env: Mapping[str, str]) -> str:
    name = f"{remote.app}-{remote.release}-migrate"
    return remote.script(
        remote.env_file(env) + f"docker rm -f {q(name)} >/dev/null 2>&1 || true\n"
        f"docker run --rm --name {q(name)} --label shipyard.oneoff={q(remote.app)} "
        f"{remote.run_args()} {q(remote.image)} sh -c {q(command)}\n"
        "say migrated\n"
    )


def stop(names: Sequence[str], remote: Remote, drain: float = 0, audit_json: str = "") -> str:
    """Drain, then stop ``names`` (and append ``audit_json`` to the audit log)."""
    body = f"sleep {drain:g}\n" if drain > 0 and names else ""
    if names:
        body += f"docker stop --time 10 {' '.join(q(n) for n in names)} >/dev/null 2>&1 || true\n"
    if audit_json:
        body += f"printf '%s\\n' {q(audit_json)} >>\"$STATE/audit.log\"\n"
    return remote.script(body + "say stopped\n")


def start(
    remote: Remote, env: Mapping[str, str], release: str | None = None, image: str | None = None
) -> str:
    """Start the release's replicas beside what runs now (blue-green, recreate)."""
    release = release or remote.release
    body = remote.env_file(env)
    for i, name in enumerate(remote.names(release), 1):
        body += remote.start_container(name, release, i, image)
    return remote.script(body)


def check(remote: Remote, names: Sequence[str]) -> str:
    return remote.script(remote.wait(names))


def switch(remote: Remote, release: str, names: Sequence[str]) -> str:
    return remote.script(
        remote.switch(release, names) + f"printf '%s\\n' {q(release)} >\"$STATE/current\"\n"
    )


def replica(
    remote: Remote, env: Mapping[str, str], index: int, old: Sequence[str], drain: float
) -> str:
    """Rolling: start new replica ``index``, check it, put it in, take the old one out."""
    new = remote.names()
    name = new[index - 1]
    serving = list(old[index:]) + new[:index]
    out = old[index - 1] if index - 1 < len(old) else None
    body = remote.env_file(env) + remote.start_container(name, remote.release, index)
    body += remote.wait([name]) + remote.switch(remote.release, serving)
    if index == len(new):
        body += f"printf '%s\\n' {q(remote.release)} >\"$STATE/current\"\n"
    if out:
        body += f"sleep {drain:g}\ndocker stop --time 10 {q(out)} >/dev/null\n"
    for extra in old[len(new) :] if index == len(new) else []:
        body += f"docker stop --time 10 {q(extra)} >/dev/null\n"
    return remote.script(body)


def watch(
    remote: Remote, names: Sequence[str], access_log: str | None, since: int, extra: str = ""
) -> str:
    """One check of the watch: each new container healthy; 5xx share in the access log
    (``extra``: more bash that sets ``failed=1``)."""
    body = "failed=0\n" + extra
    for name in names:
        body += (
            f'code=$(http_status "$(host_port {q(name)})")\n'
            f'say check {q(name)} "$code"\n'
            f"[[ $code == 2?? ]] || failed=1\n"
        )
    if access_log:
        log = nginx.remote_path(access_log)
        body += (
            f"if [[ -r {log} ]]; then\n"
            f"  tail -c +{since + 1} {log} | awk '{{n++; if ($9 ~ /^5/) e++}} "
            'END {printf "@@shipyard requests %d %d\\n", n, e}\'\n'
            f'  say log-size "$(stat -c %s {log})"\nfi\n'
        )
    return remote.script(body + "exit $failed\n")


def log_size(remote: Remote, access_log: str | None) -> str:
    if not access_log:
        return remote.script("say log-size 0\n")
    log = nginx.remote_path(access_log)
    return remote.script(f'say log-size "$(stat -c %s {log} 2>/dev/null || echo 0)"\n')


def revert(remote: Remote, old_release: str, old: Sequence[str], new: Sequence[str]) -> str:
    """Put the old release back: start its containers, check them, switch, remove the new."""
    body = ""
    if old:
        quoted = " ".join(q(n) for n in old)
        body += f"docker start {quoted} >/dev/null\n" + remote.wait(old)
        body += remote.switch(old_release, old)
        body += f"printf '%s\\n' {q(old_release)} >\"$STATE/current\"\n"
    if new:
        body += f"docker rm --force {' '.join(q(n) for n in new)} >/dev/null 2>&1 || true\n"
    return remote.script(body + "say reverted\n")


def record(remote: Remote, release_json: str, audit_json: str, release: str, keep: int) -> str:
    """Write the release record, append to the audit log, prune releases beyond ``keep``.

    Only releases recorded in this state dir are pruned: containers of the same app that
    another state dir (another deploy user, or a second environment on one Docker engine)
    started are not this deploy's to remove. Pruning is best effort: a container that cannot
    be removed is said (``prune-failed``), it does not fail the step."""
    compose_prune = (
        '  docker compose -p "$APP-${old//./-}" down --remove-orphans >/dev/null 2>&1 || true\n'
        if remote.compose
        else ""
    )
    return remote.script(
        f"""printf '%s\\n' {q(release_json)} >"$STATE/releases/"{q(release)}.json
printf '%s\\n' {q(audit_json)} >>"$STATE/audit.log"
docker ps --all --filter "label=shipyard.app=$APP" --format '{{{{.Label "shipyard.release"}}}}' \\
  | sort -u | sort -r | while read -r old; do
  if [[ $old =~ ^[A-Za-z0-9._-]+$ && -e $STATE/releases/$old.json ]]; then echo "$old"; fi
done | tail -n +{keep + 1} | while read -r old; do
  [[ $old == "$(cat "$STATE/current" 2>/dev/null)" ]] && continue
{compose_prune}  if docker ps --all --quiet --filter "label=shipyard.app=$APP" \\
    --filter "label=shipyard.release=$old" | xargs -r docker rm --force >/dev/null 2>&1; then
    say pruned "$old"
  else
    say prune-failed "$old"
  fi
done
true
"""
    )


def bring_back(remote: Remote, release: str, names: Sequence[str]) -> str:
    """Start a kept (stopped) release's containers again, check them and switch to them."""
    return remote.script(
        f"docker start {' '.join(q(n) for n in names)} >/dev/null\n"
        + remote.wait(names)
        + remote.switch(release, names)
        + f"printf '%s\\n' {q(release)} >\"$STATE/current\"\n"
    )
