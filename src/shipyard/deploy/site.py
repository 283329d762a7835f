"""HTTPS: the app's nginx server block and certificate on each host, and a health check
through TLS (pure).

With ``tls-cert``/``tls-key`` (or ``tls-cert-path``/``tls-key-path``, files an ACME client
keeps on the host) the action owns ``<app>.server.conf`` beside the upstream file: HTTPS on
``https-port`` proxying to the app's upstream, plain HTTP on ``http-port`` redirected to it,
HSTS when asked. The :class:`Site` step runs after the switch:

- the certificate and key go over stdin (quoted here-documents, never a command line) into
  ``<nginx dir>/tls/<app>/<fingerprint>.crt|.key`` (0600; given to root when the deploy user
  is root or may ``sudo -n chown``), each written beside its final name and renamed into
  place; a new pair gets a new name, so the server block switches to it whole (atomically:
  the block is renamed into place too) and nginx never sees a key of another certificate;
- the block is written only when it changed, tested with ``proxy-check`` (the old block put
  back when the test fails), and nginx reloaded gracefully (its old workers finish their
  requests with the old certificate);
- ``curl`` then asks ``https://<first server-name>:<https-port><health-path>`` on the host
  (resolved to 127.0.0.1), verifying the served certificate against the one given (or the
  host's trust store for ``tls-cert-path``) and its name: a 2xx (or the 503 of maintenance)
  passes, and the older certificate files are removed. Anything else fails the step: the
  block that served before is put back (none on a first HTTPS deploy) and nginx reloaded, a
  certificate installed by this step removed, and the deploy puts the old release back, so
  the host serves HTTPS as it did before the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import markers, nginx
from .markers import Markers
from .render import ScriptRenderer, quote
from .steps import RemoteStep, Reply
from .tls import Certificate


def functions(renderer: ScriptRenderer) -> str:
    """Bash the HTTPS and maintenance steps share: ``safe_path`` (a path nginx and the shell
    both read as written, else exit 2), ``to_root`` (files given to root when the deploy
    user may) and ``conf_dir`` (the upstream file's directory, absolute)."""
    return f"""
safe_path() {{
  [[ $1 =~ ^/[A-Za-z0-9_./-]+$ ]] && return 0
  echo "'$1' cannot go into the nginx configuration as it is (letters, digits, '_./-')" >&2
  exit 2
}}
to_root() {{
  if [[ $(id -u) == 0 ]]; then chown 0:0 "$@"; return 0; fi
  sudo -n chown 0:0 "$@" 2>/dev/null && return 0
  say {markers.TLS_OWNER} "$(id -un)"
}}
conf_dir() {{
  local conf={nginx.remote_path(renderer.proxy_config)}
  mkdir -p "$(dirname "$conf")"
  (cd "$(dirname "$conf")" && pwd -P)
}}
"""


@dataclass(frozen=True)
class SiteConfig:
    """The HTTPS inputs, checked."""

    names: tuple[str, ...]
    https_port: int
    http_port: int  # 0: no redirect server
    hsts: int  # max-age in seconds (0: no header)
    certificate: Certificate | None  # tls-cert/tls-key, or None with paths
    cert_path: str = ""  # tls-cert-path / tls-key-path
    key_path: str = ""
    access_log: str | None = None


def server_block(app: str, site: SiteConfig) -> str:
    """The app's server block; ``@CERT@``, ``@KEY@``, ``@ACCESS_LOG@`` are the absolute
    paths the step finds on the host."""
    names = " ".join(site.names)
    lines = [
        f"# Written by shipyard deploy for {app} (HTTPS). Do not edit: the next deploy "
        "overwrites it.",
    ]
    if site.http_port:
        port = "" if site.https_port == 443 else f":{site.https_port}"
        lines += [
            "server {",
            f"    listen {site.http_port};",
            f"    server_name {names};",
            f"    location / {{ return 301 https://$host{port}$request_uri; }}",
            "}",
        ]
    lines += [
        "server {",
        f"    listen {site.https_port} ssl;",
        f"    server_name {names};",
        "    ssl_certificate @CERT@;",
        "    ssl_certificate_key @KEY@;",
        "    ssl_protocols TLSv1.2 TLSv1.3;",
    ]
    if site.hsts:
        lines.append(f'    add_header Strict-Transport-Security "max-age={site.hsts}" always;')
    if site.access_log:
        lines.append("    access_log @ACCESS_LOG@;")
    lines += [
        "    location / {",
        f"        proxy_pass http://{app};",
        "        proxy_next_upstream error timeout http_502;",
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto https;",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SiteResult:
    """What the step did: the certificate installed (its file name, '' when it was there
    already or is the host's own), whether the block changed, the answer through TLS."""

    installed: str = ""
    written: bool = False
    code: str = ""
    unchecked: str = ""  # why it could not check through TLS (no curl)


@dataclass(frozen=True)
class Site(RemoteStep[SiteResult]):
    """Install the certificate, write the server block, check health through TLS."""

    renderer: ScriptRenderer
    site: SiteConfig
    name: str = "tls"

    def _install(self) -> str:
        r, certificate = self.renderer, self.site.certificate
        if certificate is None:
            cert, key = quote(self.site.cert_path), quote(self.site.key_path)
            return f'installed=0\ncert={cert}\nkey={key}\nsafe_path "$cert"\nsafe_path "$key"\n'
        name = certificate.fingerprint
        return (
            "installed=0\n"
            'tlsdir="$(dirname "$confdir")/tls/$APP"\n'
            'mkdir -p "$tlsdir"\nchmod 0700 "$tlsdir"\nsafe_path "$tlsdir"\n'
            f'cert="$tlsdir/{name}.crt"\nkey="$tlsdir/{name}.key"\n'
            "if [[ ! -s $cert || ! -s $key ]]; then\n"
            + r.heredoc('"$cert.new"', certificate.chain, "CERT")
            + r.heredoc('"$key.new"', certificate.key, "KEY")
            + '  chmod 0600 "$cert.new" "$key.new"\n'
            '  to_root "$cert.new" "$key.new"\n'
            '  mv -f "$key.new" "$key"\n  mv -f "$cert.new" "$cert"\n'
            f"  installed=1\n  say {markers.TLS_INSTALLED} {name}\nfi\n"
        )

    def _write(self) -> str:
        r, site = self.renderer, self.site
        log = ""
        if site.access_log:
            log = f'log={nginx.remote_path(site.access_log)}\nsafe_path "$log"\n'
        return (
            log
            + 'site="$confdir/$APP.server.conf"\nnew="$site.shipyard-new"\nwritten=0\n'
            + 'root=$(dirname "$confdir")\n'
            + r.heredoc('"$new"', server_block(r.app, site), "SITE")
            + 'sed -i -e "s|@CERT@|$cert|" -e "s|@KEY@|$key|"'
            + (' -e "s|@ACCESS_LOG@|$log|"' if site.access_log else "")
            + ' "$new"\nchmod 0644 "$new"\n'
            f"""if cmp -s "$new" "$site"; then
  rm -f "$new"
  say {markers.SITE_UNCHANGED}
else
  if [[ -e $site ]]; then cp -p "$site" "$site.shipyard-previous"; fi
  mv -f "$new" "$site"
  if ! bash -c {quote(r.proxy_check)}; then
    say {markers.PROXY_CHECK_FAILED}
    if [[ -e $site.shipyard-previous ]]; then mv -f "$site.shipyard-previous" "$site"
    else rm -f "$site"; fi
    exit 1
  fi
  written=1
  reload_site
  say {markers.SITE_WRITTEN}
fi
"""
        )

    def _reload(self) -> str:
        r = self.renderer
        return f"""reload_site() {{
  local before
  before=$(nginx_workers "$root" | tr '\\n' ' ')
  bash -c {quote(r.proxy_reload)}
  wait_applied "$root" "$before"
}}
"""

    def _cleanup(self) -> str:
        done = 'rm -f "$site.shipyard-previous"\n'
        if self.site.certificate is None:
            return done
        return (
            done
            + """for old in "$tlsdir"/*.crt "$tlsdir"/*.key; do
  if [[ -e $old && $old != "$cert" && $old != "$key" ]]; then rm -f "$old"; fi
done
"""
        )

    @staticmethod
    def _undo() -> str:
        """Bash: the block that served before back (none: the new one removed), nginx
        reloaded, a certificate this step installed removed."""
        return f"""if ((written)); then
  if [[ -e $site.shipyard-previous ]]; then mv -f "$site.shipyard-previous" "$site"
  else rm -f "$site"; fi
  reload_site
  say {markers.SITE_RESTORED}
fi
if ((installed)); then rm -f "$cert" "$key"; fi
"""

    def _check(self) -> str:
        r, site = self.renderer, self.site
        first, port = site.names[0], site.https_port
        url = f"https://{first}:{port}{r.health_path}"
        if site.certificate is not None:  # the chain is public: a copy curl may read
            trust = 'chain=$(mktemp "$STATE/trust.XXXXXXXX")\ntrap \'rm -f "$chain"\' EXIT\n'
            trust += r.heredoc('"$chain"', site.certificate.chain, "TRUST")
            trust += 'trust=(--cacert "$chain")\n'
        else:  # the host's file when the deploy user may read it, else its trust store
            trust = 'trust=()\nif [[ -r $cert ]]; then trust=(--cacert "$cert"); fi\n'
        return (
            "if ! command -v curl >/dev/null; then\n"
            f'  say {markers.TLS_UNCHECKED} "no curl on the host"\nelse\n'
            + trust
            + f"""want='^2[0-9][0-9]$'
if [[ -s $STATE/maintenance/port ]]; then want='^503$'; fi
code=$(curl --silent --show-error --output /dev/null --write-out '%{{http_code}}' \\
  --max-time 10 "${{trust[@]}}" --resolve {quote(f"{first}:{port}:127.0.0.1")} {quote(url)} \\
  2>&1 || true)
if [[ $code =~ $want ]]; then say {markers.TLS_HEALTHY} "$code"
else
  say {markers.TLS_UNHEALTHY} "${{code: -3}}"
  echo "{url} through nginx answered: $code" >&2
"""
            + self._undo()
            + "  exit 1\nfi\nfi\n"
        )

    def body(self) -> str:
        return (
            functions(self.renderer)
            + self._reload()
            + 'confdir=$(conf_dir)\nsafe_path "$confdir"\n'
            + self._install()
            + self._write()
            + self._check()
            + self._cleanup()
        )

    def parse(self, reply: Reply) -> SiteResult:
        """What was installed and written, and the answer through TLS."""
        found = Markers.read(reply.output)
        unchecked = found.all(markers.TLS_UNCHECKED)
        return SiteResult(
            found.first(markers.TLS_INSTALLED),
            found.has(markers.SITE_WRITTEN),
            found.first(markers.TLS_HEALTHY),
            " ".join(unchecked[0]) if unchecked else "",
        )


def site_config(
    names: Sequence[str],
    https_port: int,
    http_port: int,
    hsts: float,
    certificate: Certificate | None,
    paths: tuple[str, str] = ("", ""),
    access_log: str | None = None,
) -> SiteConfig:
    """A :class:`SiteConfig` from the settings' values."""
    return SiteConfig(
        tuple(names), https_port, http_port, int(hsts), certificate, *paths, access_log
    )
