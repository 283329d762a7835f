"""The steps of ``mode: maintenance``: nginx answers 503 with a page while the app runs (pure).

**On** writes, beside the upstream file, ``<app>.maintenance.html`` (the page, 0644) and
``<app>.maintenance.conf``: a server on ``127.0.0.1:PORT`` (a free port near one derived from
the app's name, kept while maintenance is on) that answers every request with 503, the page
and ``Retry-After``. The app's upstream is pointed at that server, the configuration tested
(everything put back when the test fails), nginx reloaded gracefully, and the 503 checked on
the port before ``state-dir/<app>/maintenance/`` records that maintenance is on. The app's
containers are not touched. While it is on, a deploy or rollback goes on behind it: the
switch keeps the upstream on the maintenance server (``maintenance-kept``) and the watch
leaves out the access log (full of 503s); the health checks go to the containers directly.

**Off** checks that the live release's routed containers answer, then switches the upstream
back to them (the usual switch: tested, reloaded, applied), waits for nginx's workers of before
the switch to finish the requests they took (they still proxy to the maintenance server), and
only then removes the server (reloaded again) and the page. Without a running live container
it fails and maintenance stays on. Both are idempotent and append to the audit log.
"""

from __future__ import annotations

import html
import zlib
from dataclasses import dataclass

from . import markers, nginx
from .markers import Markers
from .ops_steps import FUNCTIONS as OPS_FUNCTIONS
from .render import ScriptRenderer, quote
from .site import functions as site_functions
from .steps import RemoteStep, Reply

PORTS = 9800  # the maintenance server's port is in 20000..29999 (below Linux's ephemeral ports)


def default_page(app: str) -> str:
    """The page shown while maintenance is on, when no maintenance-page is given."""
    name = html.escape(app)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{name}: down for maintenance</title></head>\n"
        f"<body><h1>Down for maintenance</h1><p>{name} is down for planned maintenance and "
        "will be back shortly. Please try again in a few minutes.</p></body></html>\n"
    )


def maintenance_server(app: str, retry_after: int) -> str:
    """The 503 server (``@PORT@`` and ``@ROOT@`` filled in on the host)."""
    return f"""# Written by shipyard deploy for {app}: maintenance is on (until maintenance: off).
server {{
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    error_page 503 /{app}.maintenance.html;
    location = /{app}.maintenance.html {{
        internal;
        types {{ }}
        default_type "text/html; charset=utf-8";
        add_header Retry-After {retry_after} always;
        add_header Cache-Control "no-store" always;
    }}
    location / {{
        return 503;
    }}
}}
"""


def base_port(app: str) -> int:
    """Where the search for the maintenance server's free port starts."""
    return 20000 + zlib.crc32(app.encode()) % PORTS


class _MaintenanceStep:
    renderer: ScriptRenderer

    def body(self) -> str:
        raise NotImplementedError

    def script(self) -> str:
        """The whole script the host runs."""
        return self.renderer.render(OPS_FUNCTIONS + site_functions(self.renderer) + self.body())


def _state(found: Markers) -> tuple[str, ...]:
    return tuple((found.all(markers.MAINTENANCE) or [["off"]])[0])


@dataclass(frozen=True)
class MaintenanceOn(_MaintenanceStep, RemoteStep["tuple[str, ...]"]):
    """Maintenance on (see the module); the value: ("on", PORT, SINCE)."""

    renderer: ScriptRenderer
    page: str
    retry_after: int
    since: int
    audit_json: str
    name: str = "maintenance-on"

    def body(self) -> str:
        r, base = self.renderer, base_port(self.renderer.app)
        upstream = nginx.render_upstream(r.app, "maintenance", ["127.0.0.1:@PORT@"])
        return (
            f"""free_port() {{
  local port
  for ((port = {base}; port < {base} + 200; port++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "no free port for the maintenance page near {base}" >&2
  return 1
}}
conf={nginx.remote_path(r.proxy_config)}
confdir=$(conf_dir)
safe_path "$confdir"
page="$confdir/$APP.maintenance.html"
mconf="$confdir/$APP.maintenance.conf"
mkdir -p "$STATE/maintenance"
port=$(cat "$STATE/maintenance/port" 2>/dev/null || true)
[[ $port =~ ^[0-9]+$ ]] || port=$(free_port)
"""
            + r.heredoc('"$page.shipyard-new"', self.page, "PAGE")
            + r.heredoc('"$mconf.shipyard-new"', maintenance_server(r.app, self.retry_after), "NGX")
            + r.heredoc('"$conf.shipyard-new"', upstream, "UPSTREAM")
            + f"""sed -i -e "s|@PORT@|$port|" -e "s|@ROOT@|$confdir|" "$mconf.shipyard-new"
sed -i -e "s|@PORT@|$port|" "$conf.shipyard-new"
chmod 0644 "$page.shipyard-new" "$mconf.shipyard-new" "$conf.shipyard-new"
mv -f "$page.shipyard-new" "$page"
had=0
if [[ -e $conf ]]; then had=1; cp -p "$conf" "$conf.shipyard-previous"; fi
put_back() {{
  rm -f "$mconf"
  if ((had)); then mv -f "$conf.shipyard-previous" "$conf"; else rm -f "$conf"; fi
}}
mv -f "$mconf.shipyard-new" "$mconf"
mv -f "$conf.shipyard-new" "$conf"
if ! bash -c {quote(r.proxy_check)}; then say {markers.PROXY_CHECK_FAILED}; put_back; exit 1; fi
root=$(dirname "$confdir")
before=$(nginx_workers "$root" | tr '\\n' ' ')
bash -c {quote(r.proxy_reload)}
wait_applied "$root" "$before"
code=$(http_status "$port")
if [[ $code != 503 ]]; then
  echo "the maintenance page did not answer on 127.0.0.1:$port (got $code); it is not on" >&2
  put_back
  bash -c {quote(r.proxy_reload)}
  exit 1
fi
printf '%s\\n' "$port" >"$STATE/maintenance/port"
printf '%s\\n' {int(self.since)} >"$STATE/maintenance/since"
printf '%s\\n' {quote(self.audit_json)} >>"$STATE/audit.log"
say {markers.MAINTENANCE} on "$port" {int(self.since)}
"""
        )

    def parse(self, reply: Reply) -> tuple[str, ...]:
        """("on", PORT, SINCE)."""
        return _state(Markers.read(reply.output))


@dataclass(frozen=True)
class MaintenanceOff(_MaintenanceStep, RemoteStep["tuple[str, ...]"]):
    """Maintenance off (see the module); the value: ("off",)."""

    renderer: ScriptRenderer
    audit_json: str
    name: str = "maintenance-off"

    def body(self) -> str:
        r = self.renderer
        return f"""if [[ ! -s $STATE/maintenance/port ]]; then
  say {markers.MAINTENANCE} off
  exit 0
fi
confdir=$(conf_dir)
safe_path "$confdir"
mconf="$confdir/$APP.maintenance.conf"
current=$(cat "$STATE/current" 2>/dev/null || true)
mapfile -t names < <(live routed)
[[ ${{#names[@]}} -gt 0 ]] || no_live "$current"
for name in "${{names[@]}}"; do
  wait_healthy "$name" {r.health_attempts} {r.health_interval:g}
done
put_back() {{
  if [[ -e $STATE/maintenance.off ]]; then mv -f "$STATE/maintenance.off" "$STATE/maintenance"; fi
}}
trap put_back EXIT
rm -rf "$STATE/maintenance.off"
mv -f "$STATE/maintenance" "$STATE/maintenance.off"
switch_to "$current" "${{names[@]}}"
trap - EXIT
# nginx's workers of before the switch still send the requests they took to the maintenance
# server: it goes only once they are gone (removed with the switch, they got 502s)
if [[ -n $DRAINING ]]; then drain {nginx.RELOAD_WAIT * 10}; fi
if [[ -e $mconf ]]; then
  rm -f "$mconf"
  root=$(dirname "$confdir")
  before=$(nginx_workers "$root" | tr '\n' ' ')
  bash -c {quote(r.proxy_reload)}
  wait_applied "$root" "$before"
fi
rm -rf "$STATE/maintenance.off" "$confdir/$APP.maintenance.html"
printf '%s\\n' {quote(self.audit_json)} >>"$STATE/audit.log"
say {markers.MAINTENANCE} off
"""

    def parse(self, reply: Reply) -> tuple[str, ...]:
        """("off",)."""
        return _state(Markers.read(reply.output))
