docker start api-20251231000000-r0-1 api-20251231000000-r0-2 >/dev/null
wait_healthy api-20251231000000-r0-1 3 0.5
wait_healthy api-20251231000000-r0-2 3 0.5
switch_to 20251231000000-r0 api-20251231000000-r0-1 api-20251231000000-r0-2
printf '%s\n' 20251231000000-r0 >"$STATE/current"
say reverted
