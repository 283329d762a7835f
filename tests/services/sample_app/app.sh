#!/bin/sh
# The test bed's sample app: busybox httpd serving /, /version and /health on $PORT.
# UNHEALTHY_AFTER: -1 healthy for ever, 0 unhealthy from the start, N unhealthy after N seconds.
set -eu
mkdir -p /www
printf '%s\n' "$APP_VERSION" >/www/version
printf '%s\n' "$APP_VERSION" >/www/index.html
if [ "$UNHEALTHY_AFTER" != 0 ]; then
  printf 'ok %s\n' "$APP_VERSION" >/www/health
fi
if [ "$UNHEALTHY_AFTER" -gt 0 ]; then
  (sleep "$UNHEALTHY_AFTER" && rm -f /www/health) &
fi
# /cgi-bin/error answers 500 (the deploy's watch counts 5xx in the proxy's access log).
mkdir -p /www/cgi-bin
printf '#!/bin/sh\nprintf "Status: 500\\r\\nContent-Type: text/plain\\r\\n\\r\\nerror\\n"\n' \
  >/www/cgi-bin/error
chmod 755 /www/cgi-bin/error
# A marker of the env a deploy gave (the names only, never values).
env | sed -n 's/^\(APP_[A-Z_]*\)=.*/\1/p' | sort >/www/env-names
# One line on stdout at start (the deploy's mode logs reads it).
printf 'sample-app %s listening on %s\n' "$APP_VERSION" "${PORT:-8080}"
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
