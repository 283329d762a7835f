
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
say current "$current"
mapfile -t names < <(live every)
if [[ ${#names[@]} -eq 0 ]]; then say no-live "${current:-none}"; exit 0; fi
for name in "${names[@]}"; do
  say log-of "$name"
  docker logs --timestamps --tail 5 "$name" 2>&1 | sed 's/^/| /' \
    || true
done
