ENVFILE=$(mktemp "$STATE/env.XXXXXXXX")
trap 'rm -f "$ENVFILE"' EXIT
cat >"$ENVFILE" <<'SHIPYARD_ENV_0000000000000001'
SECRET=x'; touch /tmp/pwned; echo '$(id)`id`
PLAIN=1
SHIPYARD_ENV_0000000000000001
docker rm -f api-20251231000000-r0-1 >/dev/null 2>&1 || true
docker run --detach --name api-20251231000000-r0-1 --label shipyard.app=api --label shipyard.release=20251231000000-r0 --label shipyard.replica=1 --label shipyard.state="$STATE" --restart unless-stopped --env-file "$ENVFILE" --publish 127.0.0.1::8080 reg/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb >/dev/null
say started api-20251231000000-r0-1 "$(host_port api-20251231000000-r0-1)"
docker rm -f api-20251231000000-r0-2 >/dev/null 2>&1 || true
docker run --detach --name api-20251231000000-r0-2 --label shipyard.app=api --label shipyard.release=20251231000000-r0 --label shipyard.replica=2 --label shipyard.state="$STATE" --restart unless-stopped --env-file "$ENVFILE" --publish 127.0.0.1::8080 reg/api@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb >/dev/null
say started api-20251231000000-r0-2 "$(host_port api-20251231000000-r0-2)"
