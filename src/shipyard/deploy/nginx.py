"""The upstream file the action owns on each host, and the shell that switches it (pure).

The file holds one ``upstream <app> { ... }`` block; the user's one-time server block does
``proxy_pass http://<app>;``. The switch writes the file beside itself and renames it into
place, tests the configuration (restoring the old file when the test fails, so a broken
config is never reloaded) and reloads gracefully.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence


def render_upstream(app: str, release: str, servers: Sequence[str]) -> str:
    """The upstream file for ``servers`` (``127.0.0.1:port`` each)."""
    lines = [
        f"# Written by shipyard deploy for {app}, release {release}. Do not edit:",
        "# the next deploy overwrites it.",
        f"upstream {app} {{",
    ]
    lines += [f"    server {server} max_fails=1 fail_timeout=5s;" for server in servers]
    if not servers:
        lines.append("    server 127.0.0.1:9 down;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def remote_path(path: str) -> str:
    """A path for the remote shell, quoted, with a leading ``~/`` as ``$HOME``."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    return shlex.quote(path)


def switch_function(app: str, config: str, port: int, check: str, reload: str) -> str:
    """Bash: ``switch_to RELEASE NAME...`` points the upstream at the named containers."""
    header = render_upstream(app, "RELEASE", []).split("upstream")[0]
    return f"""
switch_to() {{
  local release=$1 conf={remote_path(config)} name hostport servers=()
  shift
  for name in "$@"; do
    hostport=$(docker port "$name" {port}/tcp | head -n1)
    servers+=("127.0.0.1:${{hostport##*:}}")
  done
  mkdir -p "$(dirname "$conf")"
  if [[ -e $conf ]]; then cp -p "$conf" "$conf.shipyard-previous"; fi
  {{
    printf '%s' {shlex.quote(header)} | sed "s/RELEASE/$release/"
    printf 'upstream %s {{\\n' {shlex.quote(app)}
    printf '    server %s max_fails=1 fail_timeout=5s;\\n' "${{servers[@]}}"
    printf '}}\\n'
  }} >"$conf.shipyard-new"
  chmod 0644 "$conf.shipyard-new"
  mv -f "$conf.shipyard-new" "$conf"
  if ! bash -c {shlex.quote(check)}; then
    say proxy-check-failed
    if [[ -e $conf.shipyard-previous ]]; then mv -f "$conf.shipyard-previous" "$conf"; fi
    return 1
  fi
  bash -c {shlex.quote(reload)}
  say switched "$release" "${{servers[*]}}"
}}
"""


def no_proxy_function() -> str:
    return """
switch_to() {
  say switched "$1" "(no proxy)"
}
"""
