
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
reload_site() {
  local before
  before=$(nginx_workers "$root" | tr '\n' ' ')
  bash -c 'nginx -s reload'
  wait_applied "$root" "$before"
}
confdir=$(conf_dir)
safe_path "$confdir"
installed=0
cert=/etc/letsencrypt/live/api/fullchain.pem
key=/etc/letsencrypt/live/api/privkey.pem
safe_path "$cert"
safe_path "$key"
site="$confdir/$APP.server.conf"
new="$site.shipyard-new"
written=0
root=$(dirname "$confdir")
cat >"$new" <<'SHIPYARD_SITE_0000000000000001'
# Written by shipyard deploy for api (HTTPS). Do not edit: the next deploy overwrites it.
server {
    listen 8443 ssl;
    server_name api.example.com;
    ssl_certificate @CERT@;
    ssl_certificate_key @KEY@;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
        proxy_pass http://api;
        proxy_next_upstream error timeout http_502;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
    }
}
SHIPYARD_SITE_0000000000000001
sed -i -e "s|@CERT@|$cert|" -e "s|@KEY@|$key|" "$new"
chmod 0644 "$new"
if cmp -s "$new" "$site"; then
  rm -f "$new"
  say site-unchanged
else
  if [[ -e $site ]]; then cp -p "$site" "$site.shipyard-previous"; fi
  mv -f "$new" "$site"
  if ! bash -c 'nginx -t -q'; then
    say proxy-check-failed
    if [[ -e $site.shipyard-previous ]]; then mv -f "$site.shipyard-previous" "$site"
    else rm -f "$site"; fi
    exit 1
  fi
  written=1
  reload_site
  say site-written
fi
if ! command -v curl >/dev/null; then
  say tls-unchecked "no curl on the host"
else
trust=()
if [[ -r $cert ]]; then trust=(--cacert "$cert"); fi
want='^2[0-9][0-9]$'
if [[ -s $STATE/maintenance/port ]]; then want='^503$'; fi
code=$(curl --silent --show-error --output /dev/null --write-out '%{http_code}' \
  --max-time 10 "${trust[@]}" --resolve api.example.com:8443:127.0.0.1 https://api.example.com:8443/health \
  2>&1 || true)
if [[ $code =~ $want ]]; then say tls-healthy "$code"
else
  say tls-unhealthy "${code: -3}"
  echo "https://api.example.com:8443/health through nginx answered: $code" >&2
if ((written)); then
  if [[ -e $site.shipyard-previous ]]; then mv -f "$site.shipyard-previous" "$site"
  else rm -f "$site"; fi
  reload_site
  say site-restored
fi
if ((installed)); then rm -f "$cert" "$key"; fi
  exit 1
fi
fi
rm -f "$site.shipyard-previous"
