
# The live release's containers: its routed ones that run (routed), or all of them (every).
live() {
  local current
  current=$(cat "$STATE/current" 2>/dev/null || true)
  [[ -n $current ]] || return 0
  docker ps --all --filter "label=shipyard.app=$APP" --filter "label=shipyard.release=$current" \
    --format '{{.Names}} {{.State}} {{.Label "shipyard.role"}}' \
    | awk -v which="$1" \
      'which == "every" || (($3 == "" || $3 == "routed") && $2 == "running") {print $1}' \
    | LC_ALL=C sort
}
no_live() {
  say no-live "${1:-none}"
  echo "no running container of the live release (${1:-none deployed}) on this host" >&2
  exit 1
}

safe_path() {
  [[ $1 =~ ^/[A-Za-z0-9_./-]+$ ]] && return 0
  echo "'$1' cannot go into the nginx configuration as it is (letters, digits, '_./-')" >&2
  exit 2
}
to_root() {
  if [[ $(id -u) == 0 ]]; then chown 0:0 "$@"; return 0; fi
  sudo -n chown 0:0 "$@" 2>/dev/null && return 0
  say tls-owner "$(id -un)"
}
conf_dir() {
  local conf="$HOME"/nginx/api.conf
  mkdir -p "$(dirname "$conf")"
  (cd "$(dirname "$conf")" && pwd -P)
}
free_port() {
  local port
  for ((port = 22959; port < 22959 + 200; port++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "no free port for the maintenance page near 22959" >&2
  return 1
}
conf="$HOME"/nginx/api.conf
confdir=$(conf_dir)
safe_path "$confdir"
page="$confdir/$APP.maintenance.html"
mconf="$confdir/$APP.maintenance.conf"
mkdir -p "$STATE/maintenance"
port=$(cat "$STATE/maintenance/port" 2>/dev/null || true)
[[ $port =~ ^[0-9]+$ ]] || port=$(free_port)
cat >"$page.shipyard-new" <<'SHIPYARD_PAGE_0000000000000001'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>api: down for maintenance</title></head>
<body><h1>Down for maintenance</h1><p>api is down for planned maintenance and will be back shortly. Please try again in a few minutes.</p></body></html>
SHIPYARD_PAGE_0000000000000001
cat >"$mconf.shipyard-new" <<'SHIPYARD_NGX_0000000000000002'
# Written by shipyard deploy for api: maintenance is on (until maintenance: off).
server {
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    error_page 503 /api.maintenance.html;
    location = /api.maintenance.html {
        internal;
        types { }
        default_type "text/html; charset=utf-8";
        add_header Retry-After 300 always;
        add_header Cache-Control "no-store" always;
    }
    location / {
        return 503;
    }
}
SHIPYARD_NGX_0000000000000002
cat >"$conf.shipyard-new" <<'SHIPYARD_UPSTREAM_0000000000000003'
# Written by shipyard deploy for api, release maintenance. Do not edit:
# the next deploy overwrites it.
upstream api {
    server 127.0.0.1:@PORT@ max_fails=1 fail_timeout=5s;
}
SHIPYARD_UPSTREAM_0000000000000003
sed -i -e "s|@PORT@|$port|" -e "s|@ROOT@|$confdir|" "$mconf.shipyard-new"
sed -i -e "s|@PORT@|$port|" "$conf.shipyard-new"
chmod 0644 "$page.shipyard-new" "$mconf.shipyard-new" "$conf.shipyard-new"
mv -f "$page.shipyard-new" "$page"
had=0
if [[ -e $conf ]]; then had=1; cp -p "$conf" "$conf.shipyard-previous"; fi
put_back() {
  rm -f "$mconf"
  if ((had)); then mv -f "$conf.shipyard-previous" "$conf"; else rm -f "$conf"; fi
}
mv -f "$mconf.shipyard-new" "$mconf"
mv -f "$conf.shipyard-new" "$conf"
if ! bash -c 'nginx -t -q'; then say proxy-check-failed; put_back; exit 1; fi
root=$(dirname "$confdir")
before=$(nginx_workers "$root" | tr '\n' ' ')
bash -c 'nginx -s reload'
wait_applied "$root" "$before"
code=$(http_status "$port")
if [[ $code != 503 ]]; then
  echo "the maintenance page did not answer on 127.0.0.1:$port (got $code); it is not on" >&2
  put_back
  bash -c 'nginx -s reload'
  exit 1
fi
printf '%s\n' "$port" >"$STATE/maintenance/port"
printf '%s\n' 1700000000 >"$STATE/maintenance/since"
printf '%s\n' '{"event": "maintenance-on"}' >>"$STATE/audit.log"
say maintenance on "$port" 1700000000
