"""The bash of compose-file deploys: one ``docker compose`` project per release (pure).

The compose file and the action's override go to ``<state-dir>/<app>/compose/<release>/``
(0600 files in a 0700 directory: the scripts run under ``umask 077``) by quoted
here-documents over SSH's stdin. The image and the app's env reach ``docker compose`` as
exported variables of the script itself (stdin again): never on a command line, never in a file
beyond the compose file the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping

from .compose import IMAGE_VARIABLE, ComposeApp, project
from .scripts import Remote, _heredoc, q

NO_COMPOSE = 78  # EX_CONFIG: the host has no docker compose v2

CHECK = """if ! command -v docker >/dev/null; then
  echo "docker is not installed on this host" >&2
  exit 3
fi
compose_version=$(docker compose version --short 2>/dev/null || true)
if [[ ! ${compose_version#v} =~ ^([2-9]|[1-9][0-9]+)\\. ]]; then
  say no-compose "${compose_version:-none}"
  echo "docker compose v2 is not available to $(id -un) on $(hostname)" >&2
  exit 78
fi
say compose "$compose_version"
"""

FUNCTIONS = """
routed() {
  docker ps --all --filter "label=com.docker.compose.project=$1" \\
    --filter label=shipyard.role=routed --format '{{.Names}}' | sort
}
# Every container of a project up, or exited 0 (a one-shot service); else say which and fail.
project_ok() {
  local bad
  bad=$(docker ps --all --filter "label=com.docker.compose.project=$1" \
    --format '{{.Label "com.docker.compose.service"}} {{.State}} {{.Status}}' \
    | grep -v -E ' running | exited Exited \\(0\\)' || true)
  [[ -z $bad ]] && return 0
  printf '@@shipyard service-down %s\\n' "$bad"
  return 1
}
compose_dir() { printf '%s/compose/%s' "$STATE" "$1"; }
compose_files() {
  local dir
  dir=$(compose_dir "$1")
  printf '%s\\n' --project-directory "$dir" -f "$dir/compose.yml" -f "$dir/shipyard.yml"
}
"""


def _wait_routed(remote: Remote, project_name: str) -> str:
    return (
        f"mapfile -t names < <(routed {q(project_name)})\n"
        f'[[ ${{#names[@]}} -gt 0 ]] || {{ echo "no routed container in {project_name}" >&2; '
        "exit 1; }\n"
        'for name in "${names[@]}"; do\n'
        f'  wait_healthy "$name" {remote.health_attempts} {remote.health_interval:g}\n'
        "done\n"
    )


def _current(release: str) -> str:
    return f"printf '%s\\n' {q(release)} >\"$STATE/current\"\n"


def start(
    remote: Remote,
    app: ComposeApp | None,
    env: Mapping[str, str],
    release: str,
    image: str,
) -> str:
    """Write the release's files (``app``; None: the ones kept on the host) and bring its
    project up; report the routed containers with ``started``."""
    name = project(remote.app, release)
    body = f"dir=$(compose_dir {q(release)})\n"
    if app is not None:
        body += 'mkdir -p "$dir"\n'
        body += _heredoc('"$dir/compose.yml"', app.text, "COMPOSE")
        body += _heredoc(
            '"$dir/shipyard.yml"', app.override(remote.app, release, remote.port), "OVERRIDE"
        )
    else:
        body += (
            "if [[ ! -e $dir/compose.yml ]]; then\n"
            f'  echo "the compose file of release {release} is no longer on this host" >&2\n'
            "  exit 1\nfi\n"
        )
    # The action's own variables last: an env entry cannot redirect the image.
    exports = {
        **env,
        IMAGE_VARIABLE: image,
        "SHIPYARD_APP": remote.app,
        "SHIPYARD_RELEASE": release,
    }
    body += "(\n" + "".join(f"  export {k}={q(v)}\n" for k, v in exports.items())
    body += (
        f"  mapfile -t files < <(compose_files {q(release)})\n"
        f'  docker compose -p {q(name)} "${{files[@]}}" up --detach --no-build --quiet-pull\n'
        ")\n"
        f"for name in $(routed {q(name)}); do\n"
        '  say started "$name" "$(host_port "$name")"\n'
        "done\n"
    )
    return remote.script(FUNCTIONS + body)


def check(remote: Remote, release: str, names: list[str]) -> str:
    """The routed containers healthy, and no service of the project down."""
    body = remote.wait(names) + f"project_ok {q(project(remote.app, release))}\n"
    return remote.script(FUNCTIONS + body)


def watch_extra(remote: Remote, release: str) -> str:
    """Bash for the watch: a service of the project that went down fails the check."""
    return FUNCTIONS + f"project_ok {q(project(remote.app, release))} || failed=1\n"


def stop(remote: Remote, release: str, drain: float = 0, audit_json: str = "") -> str:
    """Drain, then stop the release's project (kept for a rollback until pruned)."""
    body = f"sleep {drain:g}\n" if drain > 0 else ""
    body += f"docker compose -p {q(project(remote.app, release))} stop >/dev/null 2>&1 || true\n"
    if audit_json:
        body += f"printf '%s\\n' {q(audit_json)} >>\"$STATE/audit.log\"\n"
    return remote.script(FUNCTIONS + body + "say stopped\n")


def bring_back(remote: Remote, release: str) -> str:
    """Start a kept release's project again, check its routed containers, switch to them."""
    name = project(remote.app, release)
    return remote.script(
        FUNCTIONS
        + f"docker compose -p {q(name)} start >/dev/null\n"
        + _wait_routed(remote, name)
        + f'switch_to {q(release)} "${{names[@]}}"\n'
        + _current(release)
    )


def revert(remote: Remote, old_release: str, new_release: str) -> str:
    """Put the old release's project back (when there is one) and remove the new project."""
    body = ""
    if old_release:
        old = project(remote.app, old_release)
        body += f"docker compose -p {q(old)} start >/dev/null\n" + _wait_routed(remote, old)
        body += f'switch_to {q(old_release)} "${{names[@]}}"\n' + _current(old_release)
    new = project(remote.app, new_release)
    body += f"docker compose -p {q(new)} down --remove-orphans >/dev/null 2>&1 || true\n"
    return remote.script(FUNCTIONS + body + "say reverted\n")
