"""Health checks: the HTTP probe the hosts run on themselves, and reading its answers (pure).

The new containers publish on the host's loopback only, so the checks run on the host, over
the same SSH connection, with bash's ``/dev/tcp`` (no curl or wget needed on the host or in
the image).
"""

from __future__ import annotations

import math
import shlex

from . import markers


def attempts(timeout: float, interval: float) -> int:
    """How many checks ``wait_healthy`` makes to give a container ``timeout`` seconds."""
    return max(1, math.ceil(timeout / max(interval, 0.1)) + 1)


def functions(container_port: int, path: str) -> str:
    """Bash: ``http_status HOSTPORT`` and ``wait_healthy NAME ATTEMPTS INTERVAL``."""
    return f"""
http_status() {{
  local line="" code
  line=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" \\
    && printf 'GET %s HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' \\
      {shlex.quote(path)} >&3 \\
    && IFS= read -r -t 5 line <&3 && printf '%s' "$line") 2>/dev/null) || true
  code=${{line#* }}
  code=${{code%% *}}
  [[ $code =~ ^[0-9]{{3}}$ ]] || code=000
  printf '%s' "$code"
}}
host_port() {{
  local hostport
  hostport=$(docker port "$1" {container_port}/tcp 2>/dev/null | head -n1) || true
  printf '%s' "${{hostport##*:}}"
}}
wait_healthy() {{
  local name=$1 tries=$2 pause=$3 i code=000 port
  for ((i = 1; i <= tries; i++)); do
    port=$(host_port "$name")
    if [[ -n $port ]]; then code=$(http_status "$port"); fi
    if [[ $code == 2?? ]]; then say {markers.HEALTHY} "$name" "$code" "$i"; return 0; fi
    if [[ $(docker inspect -f '{{{{.State.Running}}}}' "$name" 2>/dev/null) != true ]]; then
      say {markers.EXITED} "$name"
      docker logs --tail 20 "$name" 2>&1 | sed 's/^/  | /' || true
      return 1
    fi
    if ((i < tries)); then sleep "$pause"; fi
  done
  say {markers.UNHEALTHY} "$name" "$code"
  docker logs --tail 20 "$name" 2>&1 | sed 's/^/  | /' || true
  return 1
}}
"""


def error_rate(total: int, errors: int) -> float:
    """The share of ``errors`` in ``total`` answers, in percent (0 when there were none)."""
    return 100.0 * errors / total if total else 0.0
