DRAINING='41 42'
drain 25
docker stop --time 10 api-20251231000000-r0-1 api-20251231000000-r0-2 >/dev/null 2>&1 || true
printf '%s\n' '{"event": "rollback"}' >>"$STATE/audit.log"
say stopped
