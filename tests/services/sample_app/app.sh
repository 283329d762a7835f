#!/bin/sh
# The test bed's sample app: busybox httpd serving /, /version and /health on $PORT, and CGIs:
# /cgi-bin/error (500), /cgi-bin/slow?SECONDS (answers after SECONDS, default 2: a request in
# flight through a switch) and /cgi-bin/health (the health check that counts its answers).
# UNHEALTHY_AFTER: -1 healthy for ever, 0 unhealthy from the start, N: /health is removed N
# seconds after the start, and /cgi-bin/health answers 200 to its first N requests and 503 to
# every later one (a release that turns sick after a known number of health checks, whatever
# the time they take).
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
cat >/www/cgi-bin/slow <<SLOW
#!/bin/sh
case "\$QUERY_STRING" in ''|*[!0-9.]*) seconds=2 ;; *) seconds=\$QUERY_STRING ;; esac
sleep "\$seconds"
printf 'Content-Type: text/plain\r\n\r\n%s\n' '$APP_VERSION'
SLOW
cat >/www/cgi-bin/health <<HEALTH
#!/bin/sh
count=\$((\$(cat /tmp/health-answers 2>/dev/null || echo 0) + 1))
echo "\$count" >/tmp/health-answers
if [ $UNHEALTHY_AFTER -lt 0 ] || [ "\$count" -le $UNHEALTHY_AFTER ]; then
  printf 'Content-Type: text/plain\r\n\r\nok %s %s\n' '$APP_VERSION' "\$count"
else
  printf 'Status: 503\r\nContent-Type: text/plain\r\n\r\nsick %s %s\n' '$APP_VERSION' "\$count"
fi
HEALTH
chmod 755 /www/cgi-bin/error /www/cgi-bin/slow /www/cgi-bin/health
# A marker of the env a deploy gave (the names only, never values).
env | sed -n 's/^\(APP_[A-Z_]*\)=.*/\1/p' | sort >/www/env-names
# One line on stdout at start (the deploy's mode logs reads it).
printf 'sample-app %s listening on %s\n' "$APP_VERSION" "${PORT:-8080}"
httpd -f -p "${PORT:-8080}" -h /www &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
