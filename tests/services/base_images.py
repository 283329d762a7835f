"""A tiny multi-arch busybox base image, built here (there is no Docker Hub) and pushed.

Each platform is built with ``docker buildx build`` (docker driver: one platform per build)
from ``FROM scratch`` + ``COPY rootfs-${TARGETARCH}/ /`` and pushed under a per-platform tag;
``docker buildx imagetools create`` then joins them into one multi-arch tag, e.g.
``127.0.0.1:<port>/testbed/busybox:latest``, that later builds can use in ``FROM``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.services._common import (
    INSTALL_HINT,
    ServiceUnavailable,
    cache_dir,
    output_tail,
    run,
)
from tests.services.registry import Registry

REPOSITORY = "testbed/busybox"
PLATFORMS = ("linux/amd64", "linux/arm64")
LOCAL_NAME = "shipyard-testbed/busybox"
DOCKERFILE = """\
FROM scratch
ARG TARGETARCH
COPY rootfs-${TARGETARCH}/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.opencontainers.image.title="shipyard test bed busybox"
CMD ["sh"]
"""
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"


@dataclass(frozen=True)
class BaseImage:
    """The pushed multi-arch base image."""

    ref: str  # multi-arch tag in the registry, e.g. 127.0.0.1:5000/testbed/busybox:latest
    platform_refs: dict[str, str]  # "linux/arm64" -> per-platform tag in the registry
    local_refs: dict[str, str]  # "linux/arm64" -> tag in the local image store
    platforms: tuple[str, ...]
    registry: Registry
    context: Path  # the build context (Dockerfile, rootfs-<arch>/)


def busybox_binary(arch: str) -> Path:
    """The static busybox for a Debian architecture name, from install.sh's cache."""
    path = cache_dir() / "busybox" / arch / "busybox"
    if not path.exists():
        raise ServiceUnavailable("base-images", f"{path} is missing ({INSTALL_HINT})")
    return path


def applets() -> list[str]:
    """Applet paths (``bin/sh``, ``usr/bin/wget``...) from the native busybox."""
    result = run([str(busybox_binary("amd64")), "--list-full"], timeout=30)
    if result.returncode != 0:
        raise ServiceUnavailable("base-images", f"busybox --list-full: {output_tail(result)}")
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def make_rootfs(target: Path, arch: str, applet_paths: Sequence[str]) -> None:
    """A minimal root file system: /bin/busybox, one symlink per applet, /etc, /tmp."""
    if target.exists():
        shutil.rmtree(target)
    (target / "bin").mkdir(parents=True)
    shutil.copy2(busybox_binary(arch), target / "bin" / "busybox")
    for applet in applet_paths:
        link = target / applet
        if link.name == "busybox" or link.exists() or link.is_symlink():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")
    for name in ("etc", "root", "var/www", "usr/local/bin"):
        (target / name).mkdir(parents=True, exist_ok=True)
    (target / "tmp").mkdir()
    (target / "tmp").chmod(0o1777)
    (target / "etc" / "passwd").write_text(PASSWD)
    (target / "etc" / "group").write_text(GROUP)


def make_context(directory: Path, platforms: Sequence[str] = PLATFORMS) -> Path:
    """Write the Dockerfile and one rootfs per platform under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = applets()
    for platform in platforms:
        arch = platform.split("/")[1]
        make_rootfs(directory / f"rootfs-{arch}", arch, paths)
    (directory / "Dockerfile").write_text(DOCKERFILE)
    return directory


def build_and_push(
    registry: Registry,
    directory: Path,
    docker: str = "docker",
    repository: str = REPOSITORY,
    tag: str = "latest",
    platforms: Sequence[str] = PLATFORMS,
) -> BaseImage:
    """Build one image per platform, push each, join them into one multi-arch tag."""
    context = make_context(directory / "context", platforms)
    env = registry.docker_env()
    ref = registry.ref(repository, tag)
    platform_refs: dict[str, str] = {}
    local_refs: dict[str, str] = {}
    for platform in platforms:
        arch = platform.split("/")[1]
        platform_ref = f"{ref}-{arch}"
        build = run(
            [
                docker,
                "buildx",
                "build",
                "--platform",
                platform,
                "--provenance=false",
                "--tag",
                platform_ref,
                "--push",
                str(context),
            ],
            env=env,
            timeout=300,
        )
        if build.returncode != 0:
            raise ServiceUnavailable(
                "base-images", f"buildx build/push of {platform_ref}: {output_tail(build)}"
            )
        local_ref = f"{LOCAL_NAME}:{arch}"
        tagged = run([docker, "tag", platform_ref, local_ref], env=env, timeout=60)
        if tagged.returncode != 0:
            raise ServiceUnavailable(
                "base-images", f"docker tag {local_ref}: {output_tail(tagged)}"
            )
        platform_refs[platform] = platform_ref
        local_refs[platform] = local_ref
    joined = run(
        [docker, "buildx", "imagetools", "create", "--tag", ref, *platform_refs.values()],
        env=env,
        timeout=120,
    )
    if joined.returncode != 0:
        raise ServiceUnavailable(
            "base-images", f"buildx imagetools create {ref}: {output_tail(joined)}"
        )
    return BaseImage(ref, platform_refs, local_refs, tuple(platforms), registry, context)


def inspect_platforms(
    ref: str, env: dict[str, str] | None = None, docker: str = "docker"
) -> list[str]:
    """Platforms listed by ``docker buildx imagetools inspect`` for ``ref``."""
    result = run(
        [docker, "buildx", "imagetools", "inspect", ref],
        env=env or dict(os.environ),
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"imagetools inspect {ref}: {output_tail(result)}")
    return [
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.strip().startswith("Platform:")
    ]
