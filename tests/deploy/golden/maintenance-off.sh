
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
if [[ ! -s $STATE/maintenance/port ]]; then
  say maintenance off
  exit 0
fi
confdir=$(conf_dir)
safe_path "$confdir"
mconf="$confdir/$APP.maintenance.conf"
current=$(cat "$STATE/current" 2>/dev/null || true)
mapfile -t names < <(live routed)
[[ ${#names[@]} -gt 0 ]] || no_live "$current"
for name in "${names[@]}"; do
  wait_healthy "$name" 3 0.5
done
put_back() {
  if [[ -e $STATE/maintenance.off ]]; then mv -f "$STATE/maintenance.off" "$STATE/maintenance"; fi
}
trap put_back EXIT
rm -rf "$STATE/maintenance.off"
mv -f "$STATE/maintenance" "$STATE/maintenance.off"
switch_to "$current" "${names[@]}"
trap - EXIT
# nginx's workers of before the switch still send the requests they took to the maintenance
# server: it goes only once they are gone (removed with the switch, they got 502s)
if [[ -n $DRAINING ]]; then drain 150; fi
if [[ -e $mconf ]]; then
  rm -f "$mconf"
  root=$(dirname "$confdir")
  before=$(nginx_workers "$root" | tr '
' ' ')
  bash -c 'nginx -s reload'
  wait_applied "$root" "$before"
fi
rm -rf "$STATE/maintenance.off" "$confdir/$APP.maintenance.html"
printf '%s\n' '{"event": "maintenance-off"}' >>"$STATE/audit.log"
say maintenance off
