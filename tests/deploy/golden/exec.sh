
# The live release's containers: its routed ones that run (routed), or all of them (every).
live() {
  local current
  current=$(cat "$STATE/current" 2>/dev/null || true)
  [[ -n $current ]] || return 0
  docker ps --all --filter "label=shipyard.app=$APP" --filter "label=shipyard.release=$current" \
    --format '{{.Names}} {{.State}} {{.Label "shipyard.role"}}' \
    | awk -v which="$1" \
      'which == "every" || (($3 == "" || $3 == "routed") && $2 == "running") {print $1}' \
    | LC_ALL=C sort
}
no_live() {
  say no-live "${1:-none}"
  echo "no running container of the live release (${1:-none deployed}) on this host" >&2
  exit 1
}
current=$(cat "$STATE/current" 2>/dev/null || true)
mapfile -t names < <(live routed)
[[ ${#names[@]} -gt 0 ]] || no_live "$current"
say exec-in "${names[0]}" "$current"
set +e
docker exec "${names[0]}" sh -c './manage.py migrate --noinput && echo x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`' </dev/null 2>&1 | sed 's/^/| /'
code=${PIPESTATUS[0]}
set -e
say exec-exit "$code"
