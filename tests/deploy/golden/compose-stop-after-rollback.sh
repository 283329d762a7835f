
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
DRAINING=41
drain 30
docker compose -p api-20251231000000-r0 stop >/dev/null 2>&1 || true
say stopped
