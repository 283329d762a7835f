"""Target platforms (``linux/arm64``, ``linux/arm/v7``): parsing, names, and QEMU emulators."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_PART = re.compile(r"^[a-z0-9_.-]+$")
#: Aliases people write, and what buildx calls them.
_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm/v7",
    "armel": "arm/v6",
    "i386": "386",
    "i686": "386",
}
#: binfmt_misc handler names of qemu-user-static for each architecture.
QEMU_NAMES = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "arm": "arm",
    "386": "i386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "mips64le": "mips64el",
    "mips64": "mips64",
    "loong64": "loongarch64",
}
#: Architectures a CPU of the key architecture runs without emulation.
NATIVE_COMPANIONS = {"amd64": {"386"}, "arm64": {"arm"}}


@dataclass(frozen=True, order=True)
class Platform:
    """One target platform: os, architecture and optional variant."""

    os: str
    arch: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.arch, self.variant) if part)

    @property
    def slug(self) -> str:
        """A tag-safe name, e.g. ``linux-arm-v7``."""
        return str(self).replace("/", "-")

    @property
    def qemu_name(self) -> str:
        """The binfmt_misc handler that runs this architecture (``qemu-<name>``)."""
        return QEMU_NAMES.get(self.arch, self.arch)

    def runs_natively_on(self, native: Platform) -> bool:
        """Whether a builder on ``native`` runs this platform without QEMU (amd64 runs 386, arm64
        runs arm)."""
        if self.os != native.os:
            return False
        return self.arch == native.arch or self.arch in NATIVE_COMPANIONS.get(native.arch, set())


def parse_platform(text: str) -> Platform:
    """``linux/arm64``, ``linux/arm/v7``, or a bare architecture (``arm64`` = linux/arm64).

    ``linux/arm64/v8`` is normalised to ``linux/arm64`` (as buildx does). Raises ValueError."""
    value = text.strip().lower()
    parts = value.split("/")
    if len(parts) == 1:
        parts = ["linux", *_ARCH_ALIASES.get(parts[0], parts[0]).split("/")]
    elif len(parts) >= 2:
        alias = _ARCH_ALIASES.get(parts[1])
        if alias:
            parts = [parts[0], *alias.split("/"), *parts[2:]][:3]
    if len(parts) not in (2, 3) or not all(part and _PART.match(part) for part in parts):
        raise ValueError(f"'{text.strip()}' is not a platform such as linux/amd64 or linux/arm/v7")
    os_name, arch = parts[0], parts[1]
    variant = parts[2] if len(parts) == 3 else ""
    if arch == "arm64" and variant == "v8":
        variant = ""
    if arch == "arm" and not variant:
        variant = "v7"
    return Platform(os_name, arch, variant)


def parse_platforms(items: Iterable[str]) -> list[Platform]:
    """Several platforms, duplicates dropped, order kept."""
    result: list[Platform] = []
    for item in items:
        platform = parse_platform(item)
        if platform not in result:
            result.append(platform)
    return result


def supported_by(platform: Platform, listed: Iterable[Platform]) -> bool:
    """Whether a builder that lists ``listed`` can build ``platform`` (``linux/arm`` covers
    its variants, as buildx matches them)."""
    for other in listed:
        if other == platform:
            return True
        if (other.os, other.arch) == (platform.os, platform.arch) and not other.variant:
            return True
    return False
