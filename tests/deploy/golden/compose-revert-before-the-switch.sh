
routed() {
  docker ps --all --filter "label=com.docker.compose.project=$1" \
    --filter label=shipyard.role=routed --format '{{.Names}}' | sort
}
# Every container of a project up, or exited 0 (a one-shot service); else say which and fail.
project_ok() {
  local bad
  bad=$(docker ps --all --filter "label=com.docker.compose.project=$1"     --format '{{.Label "com.docker.compose.service"}} {{.State}} {{.Status}}'     | grep -v -E ' running | exited Exited \(0\)' || true)
  [[ -z $bad ]] && return 0
  printf '@@shipyard service-down %s\n' "$bad"
  return 1
}
compose_dir() { printf '%s/compose/%s' "$STATE" "$1"; }
compose_files() {
  local dir
  dir=$(compose_dir "$1")
  printf '%s\n' --project-directory "$dir" -f "$dir/compose.yml" -f "$dir/shipyard.yml"
}
docker compose -p api-20251231000000-r0 start >/dev/null
mapfile -t names < <(routed api-20251231000000-r0)
[[ ${#names[@]} -gt 0 ]] || { echo "no routed container in api-20251231000000-r0" >&2; exit 1; }
for name in "${names[@]}"; do
  wait_healthy "$name" 3 0.5
done
switch_to 20251231000000-r0 "${names[@]}"
printf '%s\n' 20251231000000-r0 >"$STATE/current"
docker compose -p api-20260101000000-r1 down --remove-orphans >/dev/null 2>&1 || true
say reverted
