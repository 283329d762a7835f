"""A multi-arch Python base image for the sample app, built here (no Docker Hub) and pushed.

``install.sh`` unpacks Debian's python3 packages per architecture into
``<cache>/python/<arch>/rootfs``; each platform's root file system is the busybox one of
:mod:`tests.services.base_images` (a shell and its applets) with that Python on top. The image
is built ``FROM scratch`` per platform, pushed, and joined into one tag,
``<registry>/testbed/python:3`` by default: what ``python:3.12-slim`` is on GitHub's runners.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.services import base_images
from tests.services._common import INSTALL_HINT, ServiceUnavailable, cache_dir, output_tail, run
from tests.services.registry import Registry

REPOSITORY = "testbed/python"
TAG = "3"
DOCKERFILE = """\
FROM scratch
ARG TARGETARCH
COPY rootfs-${TARGETARCH}/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
LABEL org.opencontainers.image.title="shipyard test bed python"
CMD ["python3"]
"""


@dataclass(frozen=True)
class PythonImage:
    """The pushed multi-arch Python image."""

    ref: str
    platform_refs: dict[str, str]
    platforms: tuple[str, ...]


def python_rootfs(arch: str) -> Path:
    """The unpacked Debian Python for ``arch`` (from install.sh's cache)."""
    path = cache_dir() / "python" / arch / "rootfs"
    if not (path / "usr" / "bin" / "python3").exists():
        raise ServiceUnavailable("python-image", f"{path} has no python3 ({INSTALL_HINT})")
    return path


def make_context(directory: Path, platforms: Sequence[str]) -> Path:
    """The Dockerfile and one busybox + Python root file system per platform."""
    directory.mkdir(parents=True, exist_ok=True)
    applets = base_images.applets()
    for platform in platforms:
        arch = platform.split("/")[1]
        rootfs = directory / f"rootfs-{arch}"
        base_images.make_rootfs(rootfs, arch, applets)
        shutil.copytree(python_rootfs(arch), rootfs, symlinks=True, dirs_exist_ok=True)
    (directory / "Dockerfile").write_text(DOCKERFILE)
    return directory


def _checked(argv: list[str], env: dict[str, str], what: str) -> None:
    result = run(argv, env=env, timeout=600)
    if result.returncode != 0:
        raise ServiceUnavailable("python-image", f"{what}: {output_tail(result)}")


def build_and_push(
    registry: Registry,
    directory: Path,
    docker: str = "docker",
    platforms: Sequence[str] = base_images.PLATFORMS,
    tag: str = TAG,
) -> PythonImage:
    """Build one image per platform, push each, join them under ``testbed/python:<tag>``."""
    context = make_context(directory / "context", platforms)
    env = registry.docker_env()
    ref = registry.ref(REPOSITORY, tag)
    platform_refs: dict[str, str] = {}
    for platform in platforms:
        platform_ref = f"{ref}-{platform.split('/')[1]}"
        build = [docker, "buildx", "build", "--platform", platform, "--provenance=false"]
        _checked([*build, "--tag", platform_ref, "--push", str(context)], env, platform_ref)
        platform_refs[platform] = platform_ref
    create = [docker, "buildx", "imagetools", "create", "--tag", ref, *platform_refs.values()]
    _checked(create, env, f"imagetools create {ref}")
    shutil.rmtree(context, ignore_errors=True)
    return PythonImage(ref, platform_refs, tuple(platforms))
