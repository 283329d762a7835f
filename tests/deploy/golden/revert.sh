docker start api-20251231000000-r0-1 api-20251231000000-r0-2 >/dev/null
wait_healthy api-20251231000000-r0-1 121 0.5
wait_healthy api-20251231000000-r0-2 121 0.5
switch_to 20251231000000-r0 api-20251231000000-r0-1 api-20251231000000-r0-2
printf '%s\n' 20251231000000-r0 >"$STATE/current"
drain 100
docker rm --force api-20260101000000-r1-1 api-20260101000000-r1-2 >/dev/null 2>&1 || true
say reverted
