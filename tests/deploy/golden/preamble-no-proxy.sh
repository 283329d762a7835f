set -euo pipefail
umask 077
STATE="$HOME"/.shipyard/api
# shellcheck disable=SC2034 # not every step uses it
APP=api
mkdir -p "$STATE/releases"
say() { printf '@@shipyard %s\n' "$*"; }
proc_stat() {
  local stat fields
  IFS= read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  read -r -a fields <<<"${stat##*) }"
  printf '%s %s\n' "${fields[2]}" "${fields[19]}"
}
if [[ ${1-} =~ ^shipyard-step-[0-9a-f]+-[0-9]+$ ]] && proc_stat $$ >/dev/null; then
  mkdir -p "$STATE/steps"
  proc_stat $$ >"$STATE/steps/$1.$$"
fi

http_status() {
  local line="" code
  line=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" \
    && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
      /health >&3 \
    && IFS= read -r -t 5 line <&3 && printf '%s' "$line") 2>/dev/null) || true
  code=${line#* }
  code=${code%% *}
  [[ $code =~ ^[0-9]{3}$ ]] || code=000
  printf '%s' "$code"
}
host_port() {
  local hostport
  hostport=$(docker port "$1" 8080/tcp 2>/dev/null | head -n1) || true
  printf '%s' "${hostport##*:}"
}
wait_healthy() {
  local name=$1 tries=$2 pause=$3 i code=000 port
  for ((i = 1; i <= tries; i++)); do
    port=$(host_port "$name")
    if [[ -n $port ]]; then code=$(http_status "$port"); fi
    if [[ $code == 2?? ]]; then say healthy "$name" "$code" "$i"; return 0; fi
    if [[ $(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null) != true ]]; then
      say exited "$name"
      docker logs --tail 20 "$name" 2>&1 | sed 's/^/  | /' || true
      return 1
    fi
    if ((i < tries)); then sleep "$pause"; fi
  done
  say unhealthy "$name" "$code"
  docker logs --tail 20 "$name" 2>&1 | sed 's/^/  | /' || true
  return 1
}

switch_to() {
  say switched "$1" "(no proxy)"
}
drain() {
  sleep "$(($1 / 10)).$(($1 % 10))"
}
