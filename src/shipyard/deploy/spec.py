"""The deploy action's inputs and outputs: the contract, declared once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import ActionSpec, InputError, KeyValues, Output
from shipyard.runtime.settings import Duration, Secret, Text, setting

from .hostkeys import parse_fingerprints, parse_known_hosts
from .settings import check_modes, check_tls, parse_size
from .targets import check_user, parse_target, parse_targets

APP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Strategy = Literal["blue-green", "rolling", "recreate"]
Mode = Literal["deploy", "rollback", "exec", "logs", "status", "maintenance"]


@dataclass(frozen=True)
class Settings:
    """Every input of the deploy action."""

    # --- where ---------------------------------------------------------------------------
    hosts: list[str] = setting(
        "Hosts to deploy to: 'host', 'host:port' or 'name=host[:port]', one per line or "
        "comma-separated.",
        required=True,
    )
    user: str = setting(
        "SSH user on the hosts (its docker CLI must reach dockerd).", default="deploy"
    )
    ssh_key: Secret = setting("Private SSH key (OpenSSH format) for the hosts.", required=True)
    known_hosts: Text = setting(
        "The hosts' public keys in known_hosts format (`ssh-keyscan -p PORT HOST`, checked "
        "out of band). Required unless host-fingerprints is given."
    )
    host_fingerprints: list[str] = setting(
        "Instead of known-hosts: 'host SHA256:...' per host (`ssh-keygen -lf` of its key)."
    )
    jump_host: str | None = setting(
        "A bastion to reach the hosts through: [user@]host[:port] (the user defaults to user)."
    )
    jump_ssh_key: Secret = setting("Private key for the jump host (default: ssh-key).")
    ssh_timeout: Duration = setting("Timeout of an SSH connection.", default="15s")
    command_timeout: Duration = setting("Timeout of each remote step.", default="10m")
    # --- what ----------------------------------------------------------------------------
    app: str = setting("Name of the app (containers, upstream, lock and releases).", required=True)
    image: str = setting(
        "Image to deploy, best by digest (build-push's image-refs output). Required for mode "
        "deploy."
    )
    registry_username: str = setting("User for the hosts' pull from a private registry.")
    registry_password: Secret = setting("Password or token for the hosts' pull.")
    env: KeyValues = setting(
        "Environment of the app: KEY=VALUE lines. Values may be secrets: they reach the hosts "
        "over stdin into a 0600 file that is removed once the containers exist.",
        secret=True,
    )
    env_file: str | None = setting("A KEY=VALUE file on the runner, merged under env.")
    port: int = setting(
        "The port the app listens on inside its container.",
        default="8080",
        minimum=1,
        maximum=65535,
    )
    replicas: int = setting("Containers per host.", default="1", minimum=1, maximum=50)
    volumes: list[str] = setting(
        "Volumes for the app and the migration: 'host-path:container-path[:ro]'."
    )
    compose_file: str | None = setting(
        "An app of several services: a docker compose file in the workspace, deployed as one "
        "compose project per release with `docker compose` v2 (blue-green or recreate). Its "
        "app service uses `image: ${SHIPYARD_IMAGE}`."
    )
    compose_service: str | None = setting(
        "With compose-file: the service nginx routes to (default: the first that publishes or "
        "exposes port)."
    )
    # --- how -----------------------------------------------------------------------------
    strategy: Strategy = setting(
        "blue-green: start the new release beside the old, switch, watch. rolling: replace "
        "replicas one at a time, then hosts batch by batch. recreate: stop, then start.",
        default="blue-green",
    )
    proxy: Literal["nginx", "none"] = setting(
        "nginx: the action owns one upstream file per app and reloads nginx gracefully.",
        default="nginx",
    )
    proxy_config: str | None = setting(
        "Where the upstream file lives on the hosts "
        "(default /etc/nginx/conf.d/<app>.upstream.conf)."
    )
    proxy_reload: str = setting("How to reload the proxy on the hosts.", default="nginx -s reload")
    proxy_check: str = setting(
        "How to test the proxy's configuration before a reload.", default="nginx -t -q"
    )
    proxy_access_log: str | None = setting(
        "The proxy's access log for the app on the hosts: max-error-rate is measured in it."
    )
    health_path: str = setting("HTTP path of the app's health check.", default="/health")
    health_timeout: Duration = setting(
        "How long a new container may take to become healthy.", default="60s"
    )
    health_interval: Duration = setting("Pause between health checks while starting.", default="1s")
    monitor: Duration = setting(
        "How long to watch after the switch (0 skips the watch).", default="5m"
    )
    monitor_interval: Duration = setting("Pause between checks during the watch.", default="30s")
    max_error_rate: int = setting(
        "Largest share of 5xx answers in the access log during the watch, in percent.",
        default="5",
        minimum=0,
        maximum=100,
    )
    drain_timeout: Duration = setting(
        "How long a release taken out of the proxy may finish its requests before it is "
        "stopped (a revert and a rollback stop it sooner, once nginx's workers of before the "
        "switch have exited).",
        default="10s",
    )
    migrate_command: Text | None = setting(
        "Run once per deploy, in a one-off container of the new image, before the switch."
    )
    pre_deploy: Text | None = setting(
        "Shell on each host before the new release starts (e.g. a backup)."
    )
    post_deploy: Text | None = setting("Shell on each host after the switch, before the watch.")
    smoke_command: Text | None = setting(
        "Shell on each host after the switch; SHIPYARD_UPSTREAMS holds the new containers' "
        "addresses. Failing rolls back."
    )
    post_rollback: Text | None = setting(
        "Shell on each host once it is back on the release that ran before (this deploy's own "
        "rollback, or mode: rollback), e.g. restoring what pre-deploy backed up. "
        "SHIPYARD_FAILED_RELEASE names the release taken away. A failure is reported as an error; "
        "in mode: rollback it fails the job (exit 1), the host staying rolled back."
    )
    batch_size: int = setting(
        "Hosts worked at once (0: all hosts for blue-green and recreate, 1 for rolling).",
        default="0",
        minimum=0,
    )
    batch_wait: Duration = setting("Pause between batches.", default="0s")
    max_failures: int = setting(
        "Hosts that may fail before the whole deploy rolls back.", default="0", minimum=0
    )
    lock_wait: Duration = setting("How long to wait for another deploy's lock.", default="2m")
    lock_ttl: Duration = setting(
        "A lock older than this is taken over (with a warning).", default="30m"
    )
    keep_releases: int = setting(
        "Releases whose containers are kept (stopped) for rollback.", default="5", minimum=1
    )
    state_dir: str = setting(
        "Where releases, the audit log and the lock live on the hosts.", default="~/.shipyard"
    )
    mode: Mode = setting(
        "deploy; rollback to to-release (default: the previous one); exec (command in the live "
        "release's container); logs; status (per host, as JSON in details); maintenance (on "
        "or off).",
        default="deploy",
    )
    to_release: str | None = setting(
        "The release to roll back to (a release output of an earlier deploy)."
    )
    dry_run: bool = setting(
        "Connect, check host keys, take the lock and show the plan; change nothing.",
        default="false",
    )
    url: str | None = setting("The app's public URL, for the url output and the summary.")
    # --- disk space (mode deploy) ----------------------------------------------------------
    min_free_space: str = setting(
        "Free space docker's data root must have before the pull: twice the image's "
        "compressed size in its registry manifest, and at least this much (e.g. 2G, 500M; 0 "
        "skips the check). A host short of it stops the deploy before any change.",
        default="1G",
    )
    # --- HTTPS -----------------------------------------------------------------------------
    tls_cert: Secret = setting(
        "HTTPS: the certificate chain (PEM, the server's certificate first). The action writes "
        "the app's nginx server block and installs the certificate on each host."
    )
    tls_key: Secret = setting("HTTPS: the certificate's private key (PEM, not encrypted).")
    tls_cert_path: str | None = setting(
        "HTTPS with certificates kept on the hosts (certbot, acme.sh): the chain's absolute "
        "path there, instead of tls-cert."
    )
    tls_key_path: str | None = setting(
        "With tls-cert-path: the private key's absolute path on the hosts."
    )
    server_name: list[str] = setting(
        "HTTPS: the app's host names (nginx server_name); the certificate must cover each."
    )
    https_port: int = setting(
        "HTTPS: the port nginx serves the app on.", default="443", minimum=1, maximum=65535
    )
    http_port: int = setting(
        "HTTPS: the plain HTTP port redirected to HTTPS (0: none).",
        default="80",
        minimum=0,
        maximum=65535,
    )
    hsts_max_age: Duration = setting(
        "HTTPS: send Strict-Transport-Security with this max-age (e.g. 365d; 0: no header).",
        default="0",
    )
    # --- running the app: modes exec, logs, maintenance -----------------------------------
    command: Text | None = setting(
        "mode exec: the command, run with `sh -c` in the live release's container (a "
        "migration, a console task)."
    )
    exec_host: str | None = setting(
        "mode exec: only on this host (its name in hosts); default: every host."
    )
    log_lines: int = setting(
        "mode logs: the last lines of each container.", default="100", minimum=1, maximum=10000
    )
    log_since: str | None = setting(
        "mode logs: only lines since then: 10m, 2h, or a time (2026-01-02T15:04:05Z)."
    )
    maintenance: Literal["on", "off"] | None = setting(
        "mode maintenance: on (nginx answers 503 with a page and Retry-After; the app keeps "
        "running) or off."
    )
    maintenance_page: str | None = setting(
        "mode maintenance: an HTML file in the workspace to answer with (default: a plain page)."
    )
    retry_after: Duration = setting(
        "mode maintenance: the Retry-After the 503 answers carry.", default="5m"
    )

    def __post_init__(self) -> None:
        if not APP_NAME.match(self.app):
            raise InputError(
                "app", f"'{self.app}' is not a valid app name (a-z, 0-9, '-', '_'; up to 63)."
            )
        self._check_where()
        for name in self.env:
            if not ENV_NAME.match(name):
                raise InputError("env", f"'{name}' is not a valid environment variable name.")
        for name, value in self.env.items():
            if "\n" in value or "\r" in value:
                raise InputError(
                    "env",
                    f"the value of {name} spans several lines; docker env files cannot hold that.",
                )
        if self.registry_password and not self.registry_username:
            raise InputError("registry-username", "is required with registry-password.")
        if self.mode == "deploy" and self.to_release:
            raise InputError("to-release", "is only for mode: rollback.")
        if not self.health_path.startswith("/"):
            raise InputError("health-path", f"'{self.health_path}' must start with '/'.")
        self._check_compose()
        if self.monitor and self.monitor_interval <= 0:
            raise InputError("monitor-interval", "must be more than 0 when monitor is on.")
        check_modes(self)
        check_tls(self)

    def _check_where(self) -> None:
        """Every value that reaches the ssh_config or the ssh-keyscan command line: users, host
        names or IP literals, ports, the jump host, known_hosts lines and fingerprints."""
        check_user(self.user, "user")
        parse_targets(self.hosts, self.user)
        if self.jump_host:
            parse_target(self.jump_host, self.user, "jump-host")
        if not self.known_hosts.strip() and not self.host_fingerprints:
            raise InputError(
                "known-hosts",
                "is required (or host-fingerprints): the deploy never trusts an unknown host key.",
                hint="Get the line with `ssh-keyscan -p PORT HOST` from a trusted network and "
                "store it as a secret or variable.",
            )
        parse_known_hosts(self.known_hosts)
        parse_fingerprints(self.host_fingerprints)

    def _check_compose(self) -> None:
        if self.compose_service and not self.compose_file:
            raise InputError("compose-service", "is only for compose-file.")
        if not self.compose_file:
            return
        if self.strategy == "rolling":
            raise InputError(
                "strategy",
                "rolling is for single-image apps; a compose-file app is deployed blue-green "
                "(or recreate): one compose project per release.",
            )
        if self.replicas != 1:
            raise InputError(
                "replicas",
                "is for single-image apps; with compose-file scale the routed service in the "
                "file (deploy.replicas): nginx routes to each of its containers.",
            )
        if self.volumes:
            raise InputError("volumes", "is for single-image apps; put them in the compose file.")

    @property
    def free_space(self) -> int:
        """min-free-space in bytes (0: no check)."""
        return parse_size(self.min_free_space, "min-free-space")

    @property
    def upstream_path(self) -> str:
        """proxy-config, or the default upstream file of the app."""
        return self.proxy_config or f"/etc/nginx/conf.d/{self.app}.upstream.conf"


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines as docker's --env-file reads them (no quote processing); blank lines,
    ``#`` comments and an ``export`` prefix are allowed."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not ENV_NAME.match(name.strip()):
            raise InputError("env-file", f"line {number} is not KEY=VALUE.")
        values[name.strip()] = value
    return values


SPEC = ActionSpec(
    name="deploy",
    title="shipyard deploy",
    description=(
        "Zero-downtime releases of a container image over SSH (blue-green, rolling, recreate) "
        "behind nginx: host keys verified, deploy lock, health checks, watch, automatic rollback."
    ),
    branding=("upload-cloud", "green"),
    settings=Settings,
    outputs=(
        Output(
            "status",
            "deployed, rolled-back or failed; for exec, logs, status and maintenance: ok or "
            "failed.",
        ),
        Output("release", "The release id of this deploy (or the one rolled back to)."),
        Output("previous-release", "The release that ran before."),
        Output("hosts", "JSON: per host its result, step timings and error."),
        Output("url", "The app's URL (the url input)."),
        Output(
            "details",
            "JSON, one object per host: mode status's report (live-release, digest, "
            "containers with uptime and health, previous-release, lock, maintenance); mode "
            "exec's container and exit code; mode logs' line counts; mode maintenance's state.",
        ),
    ),
)
