"""nginx as a host's reverse proxy: one master per "host", its own prefix, config and logs.

The layout mirrors Debian's: ``<prefix>/nginx.conf`` includes ``<prefix>/conf.d/*.conf`` (where
the deploy action writes one upstream file per app) and ``<prefix>/sites/*.conf`` (the one-time
server block per app, as the deploy README shows). ``prefix`` is usually ``$HOME/nginx`` of the
host's SSH user, so the action's ``proxy-config`` can be ``~/nginx/conf.d/<app>.upstream.conf``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.services._common import (
    ServiceUnavailable,
    free_port,
    log_tail,
    output_tail,
    pid_alive,
    port_open,
    require_binary,
    run,
    spawn,
    stop_pid,
    wait_until,
)

START_TIMEOUT = 15.0
CONFIG = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log notice;
events {{ worker_connections 2048; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/conf.d/*.conf;
    include {prefix}/sites/*.conf;
}}
"""
# The one-time server block of the deploy README, listening where the tests can reach it.
SITE = """\
server {{
    listen {listen}:{port};
    access_log {prefix}/{app}.access.log;
    location / {{
        proxy_pass http://{app};
        proxy_next_upstream error timeout http_502;
    }}
}}
"""
# Before the first deploy the upstream must exist for the config to load.
PLACEHOLDER = "upstream {app} {{\n    server 127.0.0.1:9 down;\n}}\n"


@dataclass(frozen=True)
class Nginx:
    """A running nginx master."""

    prefix: Path
    listen: str
    pid: int
    command_prefix: tuple[str, ...] = field(default=())  # e.g. ("ip", "netns", "exec", "ns1")

    @property
    def config(self) -> Path:
        return self.prefix / "nginx.conf"

    def control(self, *args: str) -> list[str]:
        """argv of an nginx control command (``-t``, ``-s reload``) for this instance."""
        binary = require_binary("nginx", "nginx")
        return [
            binary,
            "-p",
            str(self.prefix),
            "-c",
            str(self.config),
            "-e",
            str(self.prefix / "error.log"),
            *args,
        ]

    def shell(self, *args: str) -> str:
        """The same command for a host's shell, with the prefix as ``$HOME/nginx`` when it is."""
        return shlex.join(["nginx", "-p", str(self.prefix), "-c", str(self.config), *args])

    def reload(self) -> None:
        result = run(self.control("-s", "reload"), timeout=30)
        if result.returncode != 0:
            raise ServiceUnavailable("nginx", f"reload failed: {output_tail(result)}")

    def add_site(self, app: str, port: int | None = None) -> int:
        """Write the server block for ``app`` (and a placeholder upstream), reload; its port."""
        port = port or free_port()
        upstream = self.prefix / "conf.d" / f"{app}.upstream.conf"
        if not upstream.exists():
            upstream.write_text(PLACEHOLDER.format(app=app))
        site = SITE.format(listen=self.listen, port=port, prefix=self.prefix, app=app)
        (self.prefix / "sites" / f"{app}.conf").write_text(site)
        self.reload()
        if not wait_until(lambda: _listening(self, port), START_TIMEOUT):
            raise ServiceUnavailable("nginx", f"site {app} not listening on {port}")
        return port

    def access_log(self, app: str) -> Path:
        return self.prefix / f"{app}.access.log"


def _listening(server: Nginx, port: int) -> bool:
    return port_open(port, server.listen)


def start(prefix: Path, listen: str = "127.0.0.1", command_prefix: Sequence[str] = ()) -> Nginx:
    """Start nginx with its config under ``prefix`` (kept if present: the sites survive)."""
    binary = require_binary("nginx", "nginx")
    for sub in ("conf.d", "sites", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(CONFIG.format(prefix=prefix))
    log = prefix / "master.log"
    test = run(
        [
            *command_prefix,
            binary,
            "-t",
            "-p",
            str(prefix),
            "-c",
            str(config),
            "-e",
            str(prefix / "error.log"),
        ]
    )
    if test.returncode != 0:
        raise ServiceUnavailable("nginx", f"nginx -t rejected the config: {output_tail(test)}")
    pid = spawn(
        [
            *command_prefix,
            binary,
            "-p",
            str(prefix),
            "-c",
            str(config),
            "-e",
            str(prefix / "error.log"),
            "-g",
            "daemon off;",
        ],
        log,
    )
    pid_file = prefix / "nginx.pid"
    if not wait_until(lambda: not pid_alive(pid) or pid_file.exists(), START_TIMEOUT):
        stop_pid(pid)
        raise ServiceUnavailable(
            "nginx", f"nginx did not start; log:\n{log_tail(prefix / 'error.log')}"
        )
    if not pid_alive(pid):
        raise ServiceUnavailable("nginx", f"nginx exited; log:\n{log_tail(prefix / 'error.log')}")
    return Nginx(prefix=prefix, listen=listen, pid=pid, command_prefix=tuple(command_prefix))


def stop(server: Nginx) -> bool:
    return stop_pid(server.pid)
