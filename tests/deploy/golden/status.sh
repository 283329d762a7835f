
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
say now "$(date +%s)"
if [[ -d $STATE/lock ]]; then
  say locked
  holder=$(tr -d '\n' <"$STATE/lock/holder.json" 2>/dev/null || echo '{}')
  printf '@@shipyard holder %s\n' "$holder"
fi
if [[ -s $STATE/maintenance/port ]]; then
  say maintenance on "$(cat "$STATE/maintenance/port")" \
    "$(cat "$STATE/maintenance/since" 2>/dev/null || echo 0)"
else
  say maintenance off
fi
for record in "$STATE"/releases/*.json; do
  [[ -e $record ]] && printf '@@shipyard release %s\n' "$(tr -d '\n' <"$record")"
done
while read -r name; do
  [[ -n $name ]] || continue
  IFS='|' read -r state started image role health \
    < <(docker inspect --format '{{.State.Status}}|{{.State.StartedAt}}|{{.Image}}|{{index .Config.Labels "shipyard.role"}}|{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$name" 2>/dev/null) || continue
  epoch=$(date -d "$started" +%s 2>/dev/null || echo 0)
  code=-
  if [[ $state == running && ( -z $role || $role == routed ) ]]; then
    code=$(http_status "$(host_port "$name")")
  fi
  say live "$name" "$state" "$epoch" "$code" "$health" "$image"
  say digest "$image" "$(docker image inspect --format \
    '{{range .RepoDigests}}{{println .}}{{end}}' "$image" 2>/dev/null | head -n1)"
done < <(live every)
