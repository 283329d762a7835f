
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
dir=$(compose_dir 20260101000000-r1.2)
mkdir -p "$dir"
cat >"$dir/compose.yml" <<'SHIPYARD_COMPOSE_0000000000000001'
services:
  web:
    image: ${SHIPYARD_IMAGE}
    expose: ["8080"]
    environment:
      NOTE: "x; touch /tmp/pwned; echo $(id)`id`"
  worker:
    image: ${SHIPYARD_IMAGE}
SHIPYARD_COMPOSE_0000000000000001
cat >"$dir/shipyard.yml" <<'SHIPYARD_OVERRIDE_0000000000000002'
{
  "services": {
    "web": {
      "labels": {
        "shipyard.app": "api",
        "shipyard.release": "20260101000000-r1.2",
        "shipyard.role": "routed",
        "shipyard.state": "${SHIPYARD_STATE}"
      },
      "ports": [
        "127.0.0.1::8080"
      ]
    },
    "worker": {
      "labels": {
        "shipyard.app": "api",
        "shipyard.release": "20260101000000-r1.2",
        "shipyard.role": "service",
        "shipyard.state": "${SHIPYARD_STATE}"
      }
    }
  }
}
SHIPYARD_OVERRIDE_0000000000000002
(
  export SECRET='x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`'
  export PLAIN=1
  export SHIPYARD_IMAGE='x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`'
  export SHIPYARD_APP=api
  export SHIPYARD_RELEASE=20260101000000-r1.2
  export SHIPYARD_STATE="$STATE"
  mapfile -t files < <(compose_files 20260101000000-r1.2)
  docker compose -p api-20260101000000-r1-2 "${files[@]}" up --detach --no-build --quiet-pull
)
for name in $(routed api-20260101000000-r1-2); do
  say started "$name" "$(host_port "$name")"
done
