failed=0

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
project_ok api-20260101000000-r1 || failed=1
code=$(http_status "$(host_port api-20260101000000-r1-web-1)")
say check api-20260101000000-r1-web-1 "$code"
[[ $code == 2?? ]] || failed=1
if [[ -r /var/log/x.log && ! -s $STATE/maintenance/port ]]; then
  tail -c +1 /var/log/x.log | awk '{n++; if ($9 ~ /^5/) e++} END {printf "@@shipyard requests %d %d\n", n, e}'
  say log-size "$(stat -c %s /var/log/x.log)"
fi
exit $failed
