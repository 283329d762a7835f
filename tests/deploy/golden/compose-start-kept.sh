
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
dir=$(compose_dir 20251231000000-r0)
if [[ ! -e $dir/compose.yml ]]; then
  echo "the compose file of release 20251231000000-r0 is no longer on this host" >&2
  exit 1
fi
(
  export SECRET='x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`'
  export PLAIN=1
  export SHIPYARD_IMAGE=reg/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
  export SHIPYARD_APP=api
  export SHIPYARD_RELEASE=20251231000000-r0
  export SHIPYARD_STATE="$STATE"
  mapfile -t files < <(compose_files 20251231000000-r0)
  docker compose -p api-20251231000000-r0 "${files[@]}" up --detach --no-build --quiet-pull
)
for name in $(routed api-20251231000000-r0); do
  say started "$name" "$(host_port "$name")"
done
