"""PostgreSQL and Redis images for the pipelines' service containers, built here (no Docker Hub).

``install.sh`` unpacks Debian's ``postgresql-15`` and ``redis-server`` (with their libraries,
amd64) into ``<cache>/services/<name>/rootfs``; each image is the busybox root file system of
:mod:`tests.services.base_images` with that on top and a small entry point that behaves like the
official image where the runbooks rely on it: ``postgres:15`` reads ``POSTGRES_PASSWORD``,
``POSTGRES_USER`` and ``POSTGRES_DB``, listens on 5432 with password (scram-sha-256) logins and
has ``pg_isready``; ``redis:7`` listens on 6379, keeps its data in ``/data`` and has
``redis-cli``. Built for linux/amd64, pushed as ``<registry>/testbed/postgres:15`` and
``<registry>/testbed/redis:7``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.services import base_images
from tests.services._common import INSTALL_HINT, ServiceUnavailable, cache_dir, output_tail, run
from tests.services.registry import Registry

PLATFORM = "linux/amd64"

POSTGRES_ENTRYPOINT = """\
#!/bin/sh
# postgres:15's contract: POSTGRES_PASSWORD (required), POSTGRES_USER (postgres), POSTGRES_DB
# (the user's name); a new cluster in PGDATA on the first start.
set -eu
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "POSTGRES_PASSWORD is required" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C \\
    --auth-local=trust --auth-host=scram-sha-256 > /dev/null
  rm -f "$pwfile"
  {
    echo "listen_addresses = '*'"
    echo "unix_socket_directories = '/tmp'"
    echo "jit = off"
  } >> "$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
    psql -h /tmp -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -q \\
      -c "CREATE DATABASE \\"$POSTGRES_DB\\""
    pg_ctl -D "$PGDATA" -m fast -w -s stop
  fi
fi
exec postgres -D "$PGDATA" "$@"
"""

POSTGRES_DOCKERFILE = """\
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TZ=UTC
RUN echo "postgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh" >> /etc/passwd \\
 && echo "postgres:x:999:" >> /etc/group \\
 && mkdir -p /var/lib/postgresql/data && chown -R 999:999 /var/lib/postgresql \\
 && chmod 700 /var/lib/postgresql/data
USER 999
EXPOSE 5432
LABEL org.opencontainers.image.title="shipyard test bed postgres"
ENTRYPOINT ["/usr/local/bin/entrypoint"]
"""

REDIS_DOCKERFILE = """\
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
RUN echo "redis:x:999:999:redis:/data:/bin/sh" >> /etc/passwd \\
 && echo "redis:x:999:" >> /etc/group && mkdir -p /data && chown 999:999 /data
USER 999
WORKDIR /data
EXPOSE 6379
LABEL org.opencontainers.image.title="shipyard test bed redis"
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]
"""


@dataclass(frozen=True)
class ServiceImages:
    """The pushed service images (linux/amd64)."""

    postgres: str  # <registry>/testbed/postgres:15
    redis: str  # <registry>/testbed/redis:7


def service_rootfs(name: str) -> Path:
    """The unpacked Debian packages of a service (from install.sh's cache)."""
    path = cache_dir() / "services" / name / "rootfs"
    if not (path / ".complete").exists():
        raise ServiceUnavailable("service-images", f"{path} is not there ({INSTALL_HINT})")
    return path


def make_context(directory: Path, name: str) -> Path:
    """Busybox, the service's packages, its entry point and Dockerfile under ``directory``."""
    if directory.exists():
        shutil.rmtree(directory)
    rootfs = directory / "rootfs"
    base_images.make_rootfs(rootfs, "amd64", base_images.applets())
    shutil.copytree(service_rootfs(name), rootfs, symlinks=True, dirs_exist_ok=True)
    (rootfs / ".complete").unlink(missing_ok=True)
    if name == "postgres":
        entrypoint = rootfs / "usr" / "local" / "bin" / "entrypoint"
        entrypoint.write_text(POSTGRES_ENTRYPOINT)
        entrypoint.chmod(0o755)
        (directory / "Dockerfile").write_text(POSTGRES_DOCKERFILE)
    else:
        (directory / "Dockerfile").write_text(REDIS_DOCKERFILE)
    return directory


def build_and_push(registry: Registry, directory: Path, docker: str = "docker") -> ServiceImages:
    """Build and push both images; the build contexts are removed afterwards."""
    env = registry.docker_env()
    refs = {
        "postgres": registry.ref("testbed/postgres", "15"),
        "redis": registry.ref("testbed/redis", "7"),
    }
    for name, ref in refs.items():
        context = make_context(directory / name, name)
        build = [docker, "buildx", "build", "--platform", PLATFORM, "--provenance=false"]
        result = run([*build, "--tag", ref, "--push", str(context)], env=env, timeout=600)
        if result.returncode != 0:
            raise ServiceUnavailable("service-images", f"{ref}: {output_tail(result)}")
        shutil.rmtree(context, ignore_errors=True)
    return ServiceImages(postgres=refs["postgres"], redis=refs["redis"])
