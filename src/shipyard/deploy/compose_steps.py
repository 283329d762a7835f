"""The steps of compose-file apps: one ``docker compose`` project per release (pure).

The compose file and the action's override go to ``<state-dir>/<app>/compose/<release>/``
(0600 files in a 0700 directory: the scripts run under ``umask 077``) by quoted
here-documents over SSH's stdin. The image and the app's env reach ``docker compose`` as
exported variables of the script itself (stdin again): never on a command line, never in a file
beyond the compose file the user wrote. Each step is a value as in :mod:`.steps`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import markers
from .compose import IMAGE_VARIABLE, ComposeApp, project
from .markers import Markers
from .render import ScriptRenderer, drain, quote, write_current
from .steps import NO_COMPOSE, RemoteStep, Reply, draining

#: Bash run before the lock is taken: a host without docker compose v2 is refused (exit 78,
#: ``no-compose`` with the version found) before anything on it changes.
COMPOSE_V2_CHECK = f"""if ! command -v docker >/dev/null; then
  echo "docker is not installed on this host" >&2
  exit 3
fi
compose_version=$(docker compose version --short 2>/dev/null || true)
if [[ ! ${{compose_version#v}} =~ ^([2-9]|[1-9][0-9]+)\\. ]]; then
  say {markers.NO_COMPOSE} "${{compose_version:-none}}"
  echo "docker compose v2 is not available to $(id -un) on $(hostname)" >&2
  exit {NO_COMPOSE}
fi
say {markers.COMPOSE} "$compose_version"
"""

FUNCTIONS = f"""
routed() {{
  docker ps --all --filter "label=com.docker.compose.project=$1" \\
    --filter label=shipyard.role=routed --format '{{{{.Names}}}}' | sort
}}
# Every container of a project up, or exited 0 (a one-shot service); else say which and fail.
project_ok() {{
  local bad
  bad=$(docker ps --all --filter "label=com.docker.compose.project=$1" \
    --format '{{{{.Label "com.docker.compose.service"}}}} {{{{.State}}}} {{{{.Status}}}}' \
    | grep -v -E ' running | exited Exited \\(0\\)' || true)
  [[ -z $bad ]] && return 0
  printf '{markers.PREFIX} {markers.SERVICE_DOWN} %s\\n' "$bad"
  return 1
}}
compose_dir() {{ printf '%s/compose/%s' "$STATE" "$1"; }}
compose_files() {{
  local dir
  dir=$(compose_dir "$1")
  printf '%s\\n' --project-directory "$dir" -f "$dir/compose.yml" -f "$dir/shipyard.yml"
}}
"""


def _project(renderer: ScriptRenderer, release: str) -> str:
    return quote(project(renderer.app, release))


def _wait_routed(renderer: ScriptRenderer, project_name: str) -> str:
    return (
        f"mapfile -t names < <(routed {quote(project_name)})\n"
        f'[[ ${{#names[@]}} -gt 0 ]] || {{ echo "no routed container in {project_name}" >&2; '
        "exit 1; }\n"
        'for name in "${names[@]}"; do\n'
        f'  wait_healthy "$name" {renderer.health_attempts} {renderer.health_interval:g}\n'
        "done\n"
    )


class _ComposeStep(RemoteStep[None]):
    """A compose step: its body after the compose functions."""

    def script(self) -> str:
        """The whole script the host runs."""
        return self.renderer.render(FUNCTIONS + self.body())


@dataclass(frozen=True)
class ComposeStart(RemoteStep[tuple[str, ...]]):
    """Write the release's files (``app``; None: the ones kept on the host) and bring its
    project up; the value: the routed containers (``started``)."""

    renderer: ScriptRenderer
    app: ComposeApp | None
    env: Mapping[str, str]
    release: str
    image: str
    name: str = "start"

    def script(self) -> str:
        """The whole script the host runs."""
        return self.renderer.render(FUNCTIONS + self.body())

    def body(self) -> str:
        r, release = self.renderer, self.release
        body = f"dir=$(compose_dir {quote(release)})\n"
        if self.app is not None:
            body += 'mkdir -p "$dir"\n'
            body += r.heredoc('"$dir/compose.yml"', self.app.text, "COMPOSE")
            override = self.app.override(r.app, release, r.port)
            body += r.heredoc('"$dir/shipyard.yml"', override, "OVERRIDE")
        else:
            body += (
                "if [[ ! -e $dir/compose.yml ]]; then\n"
                f'  echo "the compose file of release {release} is no longer on this host" >&2\n'
                "  exit 1\nfi\n"
            )
        # The action's own variables last: an env entry cannot redirect the image.
        exports = {
            **self.env,
            IMAGE_VARIABLE: self.image,
            "SHIPYARD_APP": r.app,
            "SHIPYARD_RELEASE": release,
        }
        body += "(\n" + "".join(f"  export {k}={quote(v)}\n" for k, v in exports.items())
        body += '  export SHIPYARD_STATE="$STATE"\n'
        body += (
            f"  mapfile -t files < <(compose_files {quote(release)})\n"
            f'  docker compose -p {_project(r, release)} "${{files[@]}}" up --detach --no-build '
            "--quiet-pull\n"
            ")\n"
            f"for name in $(routed {_project(r, release)}); do\n"
            f'  say {markers.STARTED} "$name" "$(host_port "$name")"\n'
            "done\n"
        )
        return body

    def parse(self, reply: Reply) -> tuple[str, ...]:
        """The routed containers the project started."""
        return tuple(w[0] for w in Markers.read(reply.output).all(markers.STARTED) if w)

    def created(self, value: tuple[str, ...] | None) -> tuple[str, ...]:
        """The routed containers started (none known when the step failed)."""
        return value or ()

    def planned(self) -> tuple[str, ...]:
        """A stand-in routed container, for the plan."""
        return (f"{project(self.renderer.app, self.release)}-routed",)


@dataclass(frozen=True)
class ComposeCheck(_ComposeStep):
    """The routed containers healthy, and no service of the project down."""

    renderer: ScriptRenderer
    release: str
    names: Sequence[str]
    name: str = "check"

    def body(self) -> str:
        project_name = _project(self.renderer, self.release)
        return self.renderer.wait(self.names) + f"project_ok {project_name}\n"


def watch_extra(renderer: ScriptRenderer, release: str) -> str:
    """Bash for the watch: a service of the project that went down fails the check."""
    return FUNCTIONS + f"project_ok {_project(renderer, release)} || failed=1\n"


@dataclass(frozen=True)
class ComposeStop(_ComposeStep):
    """Drain, then stop the release's project (kept for a rollback until pruned); with
    ``workers`` the drain ends once nginx's workers of before the switch have exited (as
    :class:`~.container_steps.Stop`)."""

    renderer: ScriptRenderer
    release: str
    drain: float = 0
    audit_json: str = ""
    name: str = "stop-old"
    workers: Sequence[str] | None = None

    def body(self) -> str:
        body = ""
        if self.drain > 0:
            body = (
                drain(self.drain, self.workers)
                if self.workers is not None
                else f"sleep {self.drain:g}\n"
            )
        project_name = _project(self.renderer, self.release)
        body += f"docker compose -p {project_name} stop >/dev/null 2>&1 || true\n"
        if self.audit_json:
            body += f"printf '%s\\n' {quote(self.audit_json)} >>\"$STATE/audit.log\"\n"
        return body + f"say {markers.STOPPED}\n"


@dataclass(frozen=True)
class ComposeBringBack(RemoteStep[tuple[str, ...]]):
    """Start a kept release's project again, check its routed containers, switch to them; the
    value: nginx's workers of before the switch."""

    renderer: ScriptRenderer
    release: str
    name: str = "switch"

    def body(self) -> str:
        name = project(self.renderer.app, self.release)
        return (
            f"docker compose -p {quote(name)} start >/dev/null\n"
            + _wait_routed(self.renderer, name)
            + f'switch_to {quote(self.release)} "${{names[@]}}"\n'
            + write_current(self.release)
        )

    def script(self) -> str:
        """The whole script the host runs."""
        return self.renderer.render(FUNCTIONS + self.body())

    def parse(self, reply: Reply) -> tuple[str, ...]:
        """nginx's workers of before the switch."""
        return draining(reply)


@dataclass(frozen=True)
class ComposeRevert(_ComposeStep):
    """Put the old release's project back (when there is one: started, its routed containers
    answering before traffic moves), and, once nginx's workers of before the switch have
    finished their requests (at most ``drain`` seconds, when the new project took traffic),
    remove the new project."""

    renderer: ScriptRenderer
    old_release: str
    new_release: str
    name: str = "rollback"
    drain: float = 0

    def body(self) -> str:
        body = ""
        if self.old_release:
            old = project(self.renderer.app, self.old_release)
            body += f"docker compose -p {quote(old)} start >/dev/null\n"
            body += _wait_routed(self.renderer, old)
            body += f'switch_to {quote(self.old_release)} "${{names[@]}}"\n'
            body += write_current(self.old_release)
            body += drain(self.drain)
        new = _project(self.renderer, self.new_release)
        body += f"docker compose -p {new} down --remove-orphans >/dev/null 2>&1 || true\n"
        return body + f"say {markers.REVERTED}\n"
