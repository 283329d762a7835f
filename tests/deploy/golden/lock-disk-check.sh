if docker image inspect reg/api:1 >/dev/null 2>&1; then
  say disk-ok present
else
  root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)
  free_kb=$(df -P -k -- "${root:-/}" 2>/dev/null | awk 'NR == 2 {print $4}' || true)
  if [[ -z $root || ! $free_kb =~ ^[0-9]+$ ]]; then
    say disk-unknown "${root:-unknown}"
  elif (( free_kb * 1024 < 2147483648 )); then
    say no-space "$root" "$((free_kb * 1024))" 2147483648
    echo "not enough free space on $root for the image" >&2
    exit 73
  else
    say disk-ok "$root" "$((free_kb * 1024))"
  fi
fi
after_lock() {
if ! command -v docker >/dev/null; then
  echo "docker is not installed on this host" >&2
  exit 3
fi
docker version --format 'docker {{.Server.Version}}' >/dev/null
say current "$(cat "$STATE/current" 2>/dev/null || true)"
docker ps --all --filter "label=shipyard.app=$APP" \
  --format '@@shipyard container {{.Names}} {{.Label "shipyard.release"}} {{.State}}'
for record in "$STATE"/releases/*.json; do
  [[ -e $record ]] && printf '@@shipyard release %s\n' "$(tr -d '\n' <"$record")"
done
for dir in "$STATE"/compose/*/; do
  [[ -d $dir ]] && printf '@@shipyard compose-release %s\n' "$(basename "$dir")"
done
true
}
LOCK="$STATE/lock"
write_lock() {
  printf '%s\n' lockid1 >"$LOCK/id"
  printf '%s\n' "$(date +%s)" >"$LOCK/started"
  printf '%s\n' 1800 >"$LOCK/ttl"
  printf '%s\n' '{"actor": "octocat", "id": "lockid1", "release": "20260101000000-r1", "run_url": "https://github.example/o/r/actions/runs/1", "started": 1700000000.0, "ttl": 1800.0}' >"$LOCK/holder.json"
}
if mkdir "$LOCK" 2>/dev/null; then write_lock; say locked; after_lock; exit 0; fi
if [[ $(cat "$LOCK/id" 2>/dev/null) == lockid1 ]]; then say locked; after_lock; exit 0; fi
started=$(cat "$LOCK/started" 2>/dev/null || echo 0)
ttl=$(cat "$LOCK/ttl" 2>/dev/null || echo 0)
printf '@@shipyard holder %s\n' "$(cat "$LOCK/holder.json" 2>/dev/null || echo '{}')"
if (( $(date +%s) - started > ttl )); then
  stale="$LOCK.stale.$$"
  if mv "$LOCK" "$stale" 2>/dev/null && mkdir "$LOCK" 2>/dev/null; then
    rm -rf "$stale"; write_lock; say taken-over; after_lock; exit 0
  fi
fi
say held
exit 75
