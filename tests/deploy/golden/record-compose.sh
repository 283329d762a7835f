printf '%s\n' '{"actor": "x'"'"'; touch /tmp/pwned; echo '"'"'$(id)`id`", "digest": "reg/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "id": "20260101000000-r1", "image": "reg/api:1", "replicas": 2, "result": "deployed", "run_url": "https://github.example/run", "started": 1700000000.0}' >"$STATE/releases/"20260101000000-r1.json
printf '%s\n' '{"event": "deployed"}' >>"$STATE/audit.log"
docker ps --all --filter "label=shipyard.app=$APP" --format '{{.Label "shipyard.release"}}' \
  | sort -u | sort -r | while read -r old; do
  if [[ $old =~ ^[A-Za-z0-9._-]+$ && -e $STATE/releases/$old.json ]]; then echo "$old"; fi
done | tail -n +4 | while read -r old; do
  [[ $old == "$(cat "$STATE/current" 2>/dev/null)" ]] && continue
  docker compose -p "$APP-${old//./-}" down --remove-orphans >/dev/null 2>&1 || true
  if docker ps --all --quiet --filter "label=shipyard.app=$APP" \
    --filter "label=shipyard.release=$old" | xargs -r docker rm --force >/dev/null 2>&1; then
    say pruned "$old"
  else
    say prune-failed "$old"
  fi
done
true
