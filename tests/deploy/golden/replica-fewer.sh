ENVFILE=$(mktemp "$STATE/env.XXXXXXXX")
trap 'rm -f "$ENVFILE"' EXIT
cat >"$ENVFILE" <<'SHIPYARD_ENV_0000000000000001'
SECRET=x'; touch /tmp/pwned; echo '$(id)`id`
PLAIN=1
SHIPYARD_ENV_0000000000000001
docker rm -f api-20260101000000-r1-1 >/dev/null 2>&1 || true
docker run --detach --name api-20260101000000-r1-1 --label shipyard.app=api --label shipyard.release=20260101000000-r1 --label shipyard.replica=1 --label shipyard.state="$STATE" --restart unless-stopped --env-file "$ENVFILE" --publish 127.0.0.1::8080 reg/api:1 >/dev/null
say started api-20260101000000-r1-1 "$(host_port api-20260101000000-r1-1)"
wait_healthy api-20260101000000-r1-1 3 0.5
switch_to 20260101000000-r1 api-20251231000000-r0-2 api-20260101000000-r1-1
printf '%s\n' 20260101000000-r1 >"$STATE/current"
sleep 0
docker stop --time 10 api-20251231000000-r0-1 >/dev/null
docker stop --time 10 api-20251231000000-r0-2 >/dev/null
