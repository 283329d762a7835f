"""The pieces every step's bash script is made of, each value shell-quoted (pure).

A script goes to ``bash -s`` over the SSH connection's stdin, never on a command line, so the
secrets it carries (the app's env values, the registry password) appear in no ``ps`` output
and no sshd log: they are written by here-documents into 0600 files that the script removes.
Every script is :meth:`ScriptRenderer.preamble` (strict mode, ``umask 077``, the state
directory, ``say`` and the health and proxy functions), a blank line, then its step's body.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from . import health, markers, nginx

quote = shlex.quote


def random_token() -> str:
    """A here-document delimiter's unguessable part (a value cannot end the document early)."""
    return secrets.token_hex(8)


def heredoc(target: str, content: str, tag: str, token: str) -> str:
    """Bash that writes ``content`` to ``target`` (already quoted) through a quoted
    here-document whose delimiter ends in ``token``."""
    delimiter = f"SHIPYARD_{tag}_{token}"
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"cat >{target} <<'{delimiter}'\n{body}{delimiter}\n"


#: A step started as ``bash -s TAG`` (:class:`~.steps.StopSteps` ends it by its tag) writes
#: ``$STATE/steps/TAG.PID`` first: its process group and its start time, both read from
#: ``/proc/PID/stat``. Ending it then needs no ``pgrep`` or ``ps`` on the host, and a PID the
#: kernel has since given to another process is told apart by its start time (the pair is
#: unique for the machine's uptime). Without ``/proc`` nothing is written (steps cannot be
#: ended on the host, as before). ``proc_stat PID`` prints ``PGID STARTTIME`` of a live process.
TRACK_STEP = r"""proc_stat() {
  local stat fields
  IFS= read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  read -r -a fields <<<"${stat##*) }"
  printf '%s %s\n' "${fields[2]}" "${fields[19]}"
}
if [[ ${1-} =~ ^shipyard-step-[0-9a-f]+-[0-9]+$ ]] && proc_stat $$ >/dev/null; then
  mkdir -p "$STATE/steps"
  proc_stat $$ >"$STATE/steps/$1.$$"
fi
"""


def drain(seconds: float, workers: Sequence[str] | None = None) -> str:
    """Bash that waits until nginx's workers of before the last switch have finished their
    requests and exited, at most ``seconds`` (the whole time when none were seen). Those of
    the switch in the same script by default; ``workers``: the ones another step's switch
    named (``draining``)."""
    if seconds <= 0:
        return ""
    known = "" if workers is None else f"DRAINING={quote(' '.join(workers))}\n"
    return known + f"drain {math.ceil(seconds * 10)}\n"


def write_current(release: str) -> str:
    """Bash that records ``release`` as the one serving."""
    return f"printf '%s\\n' {quote(release)} >\"$STATE/current\"\n"


@dataclass(frozen=True)
class ScriptRenderer:
    """What the scripts need to know of the app and of one release, and the pieces they share.

    ``tokens`` makes the here-documents' delimiters (random; tests seed it)."""

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
    tokens: Callable[[], str] = field(default=random_token, compare=False, repr=False)

    def for_release(self, release: str) -> ScriptRenderer:
        """The same app, for another release (a rollback's target)."""
        return dataclasses.replace(self, release=release)

    def with_health_attempts(self, attempts: int) -> ScriptRenderer:
        """The same, waiting up to ``attempts`` health checks for a container."""
        return dataclasses.replace(self, health_attempts=attempts)

    def name(self, release: str, replica: int) -> str:
        """The container of ``replica`` (1-based) of ``release``."""
        return f"{self.app}-{release}-{replica}"

    def names(self, release: str | None = None) -> list[str]:
        """Every replica's container of ``release`` (default: this renderer's release)."""
        return [self.name(release or self.release, i) for i in range(1, self.replicas + 1)]

    # -- pieces -----------------------------------------------------------------------------
    def preamble(self) -> str:
        """What every script starts with: strict mode, ``umask 077``, ``$STATE``, ``say``, the
        health functions and ``switch_to`` (nginx's, or the one of ``proxy: none``)."""
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
            f"APP={quote(self.app)}\n"
            'mkdir -p "$STATE/releases"\n'
            + markers.SAY
            + TRACK_STEP
            + health.functions(self.port, self.health_path)
            + proxy
        )

    def render(self, body: str) -> str:
        """A whole script: the preamble, a blank line, ``body``."""
        return self.preamble() + "\n" + body

    def heredoc(self, target: str, content: str, tag: str) -> str:
        """:func:`heredoc` with a fresh delimiter token."""
        return heredoc(target, content, tag, self.tokens())

    def env_file(self, env: Mapping[str, str]) -> str:
        """Bash that writes the app's env to a 0600 file removed when the script ends."""
        content = "".join(f"{key}={value}\n" for key, value in env.items())
        return (
            'ENVFILE=$(mktemp "$STATE/env.XXXXXXXX")\n'
            "trap 'rm -f \"$ENVFILE\"' EXIT\n" + self.heredoc('"$ENVFILE"', content, "ENV")
        )

    def run_args(self) -> str:
        """``docker run`` arguments of the app's containers: the env file, the volumes."""
        volumes = " ".join(f"--volume {quote(v)}" for v in self.volumes)
        return f'--env-file "$ENVFILE" {volumes}'.strip()

    def start_container(
        self, name: str, release: str, replica: int, image: str | None = None
    ) -> str:
        """Bash that (re)creates container ``name`` of ``release``, publishing ``port`` on a free
        loopback port, and says ``started NAME HOSTPORT``."""
        labels = (
            f"--label shipyard.app={quote(self.app)} --label shipyard.release={quote(release)} "
            f'--label shipyard.replica={replica} --label shipyard.state="$STATE"'
        )
        return (
            f"docker rm -f {quote(name)} >/dev/null 2>&1 || true\n"
            f"docker run --detach --name {quote(name)} {labels} --restart unless-stopped "
            f"{self.run_args()} --publish 127.0.0.1::{self.port} "
            f"{quote(image or self.image)} >/dev/null\n"
            f'say {markers.STARTED} {quote(name)} "$(host_port {quote(name)})"\n'
        )

    def wait(self, names: Sequence[str]) -> str:
        """Bash that waits until each container answers its health check (or fails)."""
        return "".join(
            f"wait_healthy {quote(n)} {self.health_attempts} {self.health_interval:g}\n"
            for n in names
        )

    def switch(self, release: str, names: Sequence[str]) -> str:
        """Bash that points the proxy at ``names`` (``switch_to``)."""
        return f"switch_to {quote(release)} {' '.join(quote(n) for n in names)}\n"
