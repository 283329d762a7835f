ENVFILE=$(mktemp "$STATE/env.XXXXXXXX")
trap 'rm -f "$ENVFILE"' EXIT
cat >"$ENVFILE" <<'SHIPYARD_ENV_0000000000000001'
SECRET=x'; touch /tmp/pwned; echo '$(id)`id`
PLAIN=1
SHIPYARD_ENV_0000000000000001
docker rm -f api-20260101000000-r1-migrate >/dev/null 2>&1 || true
docker run --rm --name api-20260101000000-r1-migrate --label shipyard.oneoff=api --env-file "$ENVFILE" --volume /srv/data:/data --volume /etc/x:/x:ro reg/api:1 sh -c './manage.py migrate'
say migrated
