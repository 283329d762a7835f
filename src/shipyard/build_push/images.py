"""Image names: which registry, which repository, and how to reach its API.

Names are lower-cased (a GitHub owner with capitals is a common cause of "repository name must
be lowercase"), ``user/app`` means Docker Hub, and a registry on 127.0.0.0/8 or localhost is
plain HTTP, as dockerd treats it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]+)?$|^\[[0-9a-f:]+\](?::[0-9]+)?$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ImageName:
    """A repository in a registry, e.g. ``ghcr.io/acme/app`` (no tag, no digest)."""

    #: As the user wrote it, lower-cased: the prefix of every reference we push.
    name: str
    #: The registry as docker names it: ``ghcr.io``, ``docker.io``, ``127.0.0.1:5000``.
    registry: str
    #: The repository path inside the registry: ``acme/app`` (``library/x`` on Docker Hub).
    repository: str
    #: True when the input had capitals that were lowered.
    lowered: bool = False

    def ref(self, tag: str) -> str:
        """``name:tag``."""
        return f"{self.name}:{tag}"

    def digest_ref(self, digest: str) -> str:
        """``name@digest``."""
        return f"{self.name}@{digest}"

    @property
    def api_host(self) -> str:
        """The host the registry API answers on (Docker Hub's API is not docker.io)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def api_base(self) -> str:
        """The registry API root: http:// for loopback registries, https:// otherwise."""
        scheme = "http" if is_loopback(self.registry) else "https"
        return f"{scheme}://{self.api_host}"


def host_of(registry: str) -> str:
    """The host part of ``host:port`` (IPv6 in brackets kept without them)."""
    if registry.startswith("["):
        return registry[1:].split("]", 1)[0]
    return registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry


def is_loopback(registry: str) -> bool:
    """Whether a registry is on this machine (localhost or a loopback address): plain HTTP is then
    allowed."""
    host = host_of(registry)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_registry(registry: str, shown: str) -> None:
    """A registry as docker names it (``host[:port]``, lower case); ValueError saying why
    not, starting with ``shown``. The host is checked as every host input is (labels of at
    most 63 characters, ports), so nothing fails later inside the HTTP client."""
    from shipyard.runtime.network import AddressError, split_host_port

    if not _HOST.match(registry):
        raise ValueError(f"{shown} is not a registry host")
    try:
        split_host_port(registry)
    except AddressError as exc:
        raise ValueError(f"{shown} is not a registry host: it {exc}") from None


def parse_image(text: str) -> ImageName:
    """Parse one entry of ``images``; raise ValueError saying what is wrong."""
    raw = text.strip()
    if not raw:
        raise ValueError("an image name is empty")
    if "@" in raw:
        raise ValueError(f"'{raw}' has a digest; give the name only (e.g. ghcr.io/acme/app)")
    lowered = raw.lower()
    first, _, rest = lowered.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, lowered
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        raise ValueError(
            f"'{raw}' has a tag ({last.split(':', 1)[1]}); give the name only and put tags "
            "in the tags input"
        )
    if registry != DOCKER_HUB:
        check_registry(registry, f"'{raw}': '{registry}'")
    components = path.split("/")
    for component in components:
        if not _COMPONENT.match(component):
            raise ValueError(
                f"'{raw}': '{component}' is not a valid repository name component (lower-case "
                "letters, digits, and . _ __ - between them)"
            )
    if len(lowered) > 255:
        raise ValueError(f"'{raw}' is longer than 255 characters")
    repository = path
    if registry == DOCKER_HUB and len(components) == 1:
        repository = f"library/{path}"
    return ImageName(lowered, registry, repository, lowered != raw)


def _image_fields(line: str) -> list[str]:
    import csv

    rows = list(csv.reader([line], skipinitialspace=True))
    return [item.strip() for item in rows[0] if item.strip()] if rows else []


def _image_entry(line: str) -> tuple[str, bool]:
    """(name, enabled) of one ``images`` line in the attribute form:
    ``name=ghcr.io/org/app,enable=false`` or ``ghcr.io/org/app,enable=true``."""
    fields = _image_fields(line)
    enable = next(
        (f.partition("=")[2].strip().lower() for f in fields if f.lower().startswith("enable=")),
        "true",
    )
    if enable not in ("true", "false"):
        raise ValueError(f"'{line.strip()}': enable must be true or false, not '{enable}'")
    if enable == "false":
        return "", False  # skipped before the rest is read, as a disabled tag rule
    name = ""
    for item in fields:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep:
            name = item
        elif key == "name":
            name = value.strip()
        elif key != "enable":
            raise ValueError(f"'{line.strip()}': unknown attribute '{key}'; use name= and enable=")
    if not name:
        raise ValueError(f"'{line.strip()}' has no image name")
    return name, True


def parse_image_lines(lines: Sequence[str]) -> list[ImageName]:
    """The ``images`` input as metadata-action reads it: a single line of comma-separated
    names, or one image per line with optional ``name=`` and ``enable=`` attributes; disabled
    images are left out, duplicates once. Raises ValueError saying what is wrong."""
    wanted = [line for line in lines if line.strip() and not line.strip().startswith("#")]
    if len(wanted) == 1 and "=" not in wanted[0]:
        entries = [(name, True) for name in _image_fields(wanted[0])]
    else:
        entries = [_image_entry(line) for line in wanted]
    images: list[ImageName] = []
    for name, enabled in entries:
        image = parse_image(name) if enabled else None
        if image is not None and image not in images:
            images.append(image)
    return images
