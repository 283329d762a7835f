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
  local release=$1 conf="$HOME"/nginx/api.conf name hostport servers=() before root
  shift
  for name in "$@"; do
    hostport=$(docker port "$name" 8080/tcp | head -n1)
    servers+=("127.0.0.1:${hostport##*:}")
  done
  if [[ -s $STATE/maintenance/port ]]; then  # maintenance is on: it stays on
    servers=("127.0.0.1:$(cat "$STATE/maintenance/port")")
    say maintenance-kept "${servers[0]}"
  fi
  mkdir -p "$(dirname "$conf")"
  if [[ -e $conf ]]; then cp -p "$conf" "$conf.shipyard-previous"; fi
  {
    printf '%s' '# Written by shipyard deploy for api, release RELEASE. Do not edit:
# the next deploy overwrites it.
' | sed "s/RELEASE/$release/"
    printf 'upstream %s {\n' api
    printf '    server %s max_fails=1 fail_timeout=5s;\n' "${servers[@]}"
    printf '}\n'
  } >"$conf.shipyard-new"
  chmod 0644 "$conf.shipyard-new"
  mv -f "$conf.shipyard-new" "$conf"
  if ! bash -c 'nginx -t -q'; then
    say proxy-check-failed
    if [[ -e $conf.shipyard-previous ]]; then mv -f "$conf.shipyard-previous" "$conf"; fi
    return 1
  fi
  root=$(dirname "$(dirname "$conf")")
  before=$(nginx_workers "$root" | tr '
' ' ')
  bash -c 'nginx -s reload'
  wait_applied "$root" "$before"
  DRAINING=$(awk '{for (i = 2; i <= NF; i += 2) printf "%s ", $i}' <<<"$before")
  say switched "$release" "${servers[*]}"
  say draining "$DRAINING"
}

DRAINING=""
nginx_workers() {
  local dir stat title pid ppid master masters=() mine=()
  local -A parent=()
  for dir in /proc/[0-9]*; do
    title=""
    IFS= read -r -d '' title 2>/dev/null <"$dir/cmdline" || true
    [[ $title == "nginx: "* ]] || continue
    IFS= read -r stat 2>/dev/null <"$dir/stat" || continue
    pid=${dir#/proc/}
    read -r _ ppid _ <<<"${stat##*) }"
    case $title in
      "nginx: master process"*)
        masters+=("$pid")
        if [[ $title == *"$1/"* ]]; then mine+=("$pid"); fi ;;
      "nginx: worker process") parent[$pid]=$ppid ;;
    esac
  done
  for pid in "${!parent[@]}"; do
    if ((${#mine[@]} == 0)); then
      echo "${parent[$pid]} $pid"
      continue
    fi
    for master in "${mine[@]}"; do
      if [[ ${parent[$pid]} == "$master" ]]; then echo "$master $pid"; fi
    done
  done
}
reload_applied() {
  nginx_workers "$1" | awk -v before="$2" '
    BEGIN {
      n = split(before, w, " ")
      for (i = 2; i <= n; i += 2) { old[w[i]] = 1; had[w[i - 1]] = 1 }
    }
    { if ($2 in old) stale[$1] = 1; else fresh[$1] = 1 }
    END { for (m in fresh) if ((m in had) && !(m in stale)) exit 0; exit 1 }'
}
wait_applied() {
  local i
  [[ -n $2 ]] || return 0
  for ((i = 0; i < 75; i++)); do
    if reload_applied "$1" "$2"; then say proxy-applied; return 0; fi
    sleep 0.2
  done
  say proxy-unconfirmed 15
}
nginx_exited() {
  local pid title
  for pid in "$@"; do
    title=""
    IFS= read -r -d '' title 2>/dev/null <"/proc/$pid/cmdline" || true
    if [[ $title == "nginx: worker process"* ]]; then return 1; fi
  done
}
drain() {
  local i
  if [[ -z $DRAINING ]]; then
    sleep "$(($1 / 10)).$(($1 % 10))"
    return 0
  fi
  for ((i = 0; i < $1; i++)); do
    # shellcheck disable=SC2086 # one PID a word
    if nginx_exited $DRAINING; then say drained; return 0; fi
    sleep 0.1
  done
  # shellcheck disable=SC2086
  say drain-timeout $DRAINING
}
