if ! command -v docker >/dev/null; then
  echo "docker is not installed on this host" >&2
  exit 3
fi
compose_version=$(docker compose version --short 2>/dev/null || true)
if [[ ! ${compose_version#v} =~ ^([2-9]|[1-9][0-9]+)\. ]]; then
  say no-compose "${compose_version:-none}"
  echo "docker compose v2 is not available to $(id -un) on $(hostname)" >&2
  exit 78
fi
say compose "$compose_version"
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
  printf '%s\n' '{"actor": "x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`", "id": "lockid1", "release": "20260101000000-r1", "run_url": "https://github.example/o/r/actions/runs/1", "started": 1700000000.0, "ttl": 1800.0}' >"$LOCK/holder.json"
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
