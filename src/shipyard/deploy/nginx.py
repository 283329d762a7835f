"""The upstream file the action owns on each host, and the shell that switches it (pure).

The file holds one ``upstream <app> { ... }`` block; the user's one-time server block does
``proxy_pass http://<app>;``. The switch writes the file beside itself and renames it into
place, tests the configuration (restoring the old file when the test fails, so a broken
config is never reloaded) and reloads gracefully.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from . import markers


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
    return (
        f"""
switch_to() {{
  local release=$1 conf={remote_path(config)} name hostport servers=() before root
  shift
  for name in "$@"; do
    hostport=$(docker port "$name" {port}/tcp | head -n1)
    servers+=("127.0.0.1:${{hostport##*:}}")
  done
  if [[ -s $STATE/maintenance/port ]]; then  # maintenance is on: it stays on
    servers=("127.0.0.1:$(cat "$STATE/maintenance/port")")
    say {markers.MAINTENANCE_KEPT} "${{servers[0]}}"
  fi
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
    say {markers.PROXY_CHECK_FAILED}
    if [[ -e $conf.shipyard-previous ]]; then mv -f "$conf.shipyard-previous" "$conf"; fi
    return 1
  fi
  root=$(dirname "$(dirname "$conf")")
  before=$(nginx_workers "$root" | tr '\n' ' ')
  bash -c {shlex.quote(reload)}
  wait_applied "$root" "$before"
  DRAINING=$(awk '{{for (i = 2; i <= NF; i += 2) printf "%s ", $i}}' <<<"$before")
  say {markers.SWITCHED} "$release" "${{servers[*]}}"
  say {markers.DRAINING} "$DRAINING"
}}
"""
        + APPLIED
    )


# A reload is applied asynchronously: ``nginx -s reload`` (and ``systemctl reload nginx``) only
# signal the master, whose old workers keep taking connections with the old upstream until they
# get to the signal (on a loaded host that can take a second or more). So the switch is done
# once a master that ran workers before the reload runs only new ones (the old ones exited or
# are "shutting down": they closed their listening sockets). Masters started with the upstream
# file's nginx directory on their command line (``-p``/``-c``) are preferred when there are
# several. No nginx worker on the host (the proxy runs elsewhere): nothing to wait for. Not
# seen in time: a warning in the step's output, not a stop. nginx's processes are read from
# ``/proc`` (their titles, ``nginx: worker process``): no ``ps`` is needed on the host.
#
# The workers of before the reload are kept in ``$DRAINING``: they finish the requests they
# took (with the old upstream) before they exit. ``drain TICKS`` waits until they have, at most
# TICKS tenths of a second, before the release they proxied to is stopped (a revert, a
# rollback); when no nginx worker was seen (``proxy: none``, nginx elsewhere) it waits the
# whole time.
RELOAD_WAIT = 15  # seconds
APPLIED = f"""
DRAINING=""
nginx_workers() {{
  local dir stat title pid ppid master masters=() mine=()
  local -A parent=()
  for dir in /proc/[0-9]*; do
    title=""
    IFS= read -r -d '' title 2>/dev/null <"$dir/cmdline" || true
    [[ $title == "nginx: "* ]] || continue
    IFS= read -r stat 2>/dev/null <"$dir/stat" || continue
    pid=${{dir#/proc/}}
    read -r _ ppid _ <<<"${{stat##*) }}"
    case $title in
      "nginx: master process"*)
        masters+=("$pid")
        if [[ $title == *"$1/"* ]]; then mine+=("$pid"); fi ;;
      "nginx: worker process") parent[$pid]=$ppid ;;
    esac
  done
  for pid in "${{!parent[@]}}"; do
    if ((${{#mine[@]}} == 0)); then
      echo "${{parent[$pid]}} $pid"
      continue
    fi
    for master in "${{mine[@]}}"; do
      if [[ ${{parent[$pid]}} == "$master" ]]; then echo "$master $pid"; fi
    done
  done
}}
reload_applied() {{
  nginx_workers "$1" | awk -v before="$2" '
    BEGIN {{
      n = split(before, w, " ")
      for (i = 2; i <= n; i += 2) {{ old[w[i]] = 1; had[w[i - 1]] = 1 }}
    }}
    {{ if ($2 in old) stale[$1] = 1; else fresh[$1] = 1 }}
    END {{ for (m in fresh) if ((m in had) && !(m in stale)) exit 0; exit 1 }}'
}}
wait_applied() {{
  local i
  [[ -n $2 ]] || return 0
  for ((i = 0; i < {RELOAD_WAIT * 5}; i++)); do
    if reload_applied "$1" "$2"; then say {markers.PROXY_APPLIED}; return 0; fi
    sleep 0.2
  done
  say {markers.PROXY_UNCONFIRMED} {RELOAD_WAIT}
}}
nginx_exited() {{
  local pid title
  for pid in "$@"; do
    title=""
    IFS= read -r -d '' title 2>/dev/null <"/proc/$pid/cmdline" || true
    if [[ $title == "nginx: worker process"* ]]; then return 1; fi
  done
}}
drain() {{
  local i
  if [[ -z $DRAINING ]]; then
    sleep "$(($1 / 10)).$(($1 % 10))"
    return 0
  fi
  for ((i = 0; i < $1; i++)); do
    # shellcheck disable=SC2086 # one PID a word
    if nginx_exited $DRAINING; then say {markers.DRAINED}; return 0; fi
    sleep 0.1
  done
  # shellcheck disable=SC2086
  say {markers.DRAIN_TIMEOUT} $DRAINING
}}
"""


def no_proxy_function() -> str:
    """Bash: the ``switch_to`` of ``proxy: none`` (it only says so), and its ``drain TICKS``
    (nothing to watch: the whole time)."""
    return f"""
switch_to() {{
  say {markers.SWITCHED} "$1" "(no proxy)"
}}
drain() {{
  sleep "$(($1 / 10)).$(($1 % 10))"
}}
"""
