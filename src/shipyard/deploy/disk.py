"""Free disk space for the pull, checked on each host before anything changes (pure).

A deploy needs room for the image on the file system of docker's data root
(``docker info``'s ``DockerRootDir``). How much: twice the image's compressed size as its
registry manifest lists it (layers unpack to about that much), and never less than
``min-free-space`` (all of it when the registry could not say). The check is bash run in the
lock step before the lock is taken (:func:`precheck`): a host where the image is already
present needs no room; a host short of it is refused (exit :data:`NO_SPACE`, ``no-space ROOT
FREE NEEDED``) and the deploy stops before any change on any host.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import markers
from .render import quote
from .settings import human

UNPACK_FACTOR = 2
NO_SPACE = 73  # EX_CANTCREAT: the image would not fit


def needed(manifest_size: int | None, minimum: int) -> int:
    """Bytes the pull needs free (0: no check): ``UNPACK_FACTOR`` times the compressed size,
    at least ``minimum``; ``minimum`` 0 switches the check off."""
    if minimum <= 0:
        return 0
    return max(minimum, UNPACK_FACTOR * (manifest_size or 0))


def why(manifest_size: int | None, minimum: int) -> str:
    """How :func:`needed` came to its figure, in words."""
    if manifest_size:
        return (
            f"{UNPACK_FACTOR} x the image's {human(manifest_size)} of compressed layers, at "
            f"least min-free-space {human(minimum)}"
        )
    return f"min-free-space {human(minimum)}; the image's size was not known"


def precheck(image: str, space: int) -> str:
    """Bash: refuse the host (exit NO_SPACE) when docker's data root has less than ``space``
    bytes free and ``image`` is not there yet."""
    if space <= 0:
        return ""
    return f"""if docker image inspect {quote(image)} >/dev/null 2>&1; then
  say {markers.DISK_OK} present
else
  root=$(docker info --format '{{{{.DockerRootDir}}}}' 2>/dev/null || true)
  free_kb=$(df -P -k -- "${{root:-/}}" 2>/dev/null | awk 'NR == 2 {{print $4}}' || true)
  if [[ -z $root || ! $free_kb =~ ^[0-9]+$ ]]; then
    say {markers.DISK_UNKNOWN} "${{root:-unknown}}"
  elif (( free_kb * 1024 < {int(space)} )); then
    say {markers.NO_SPACE} "$root" "$((free_kb * 1024))" {int(space)}
    echo "not enough free space on $root for the image" >&2
    exit {NO_SPACE}
  else
    say {markers.DISK_OK} "$root" "$((free_kb * 1024))"
  fi
fi
"""


@dataclass(frozen=True)
class Shortage:
    """A host without room for the image: where, how much is free, how much is needed."""

    root: str
    free: int
    needed: int

    @classmethod
    def read(cls, words: list[str]) -> Shortage:
        """From the ``no-space`` marker's words."""
        root, free, need = [*words, "", "0", "0"][:3]
        return cls(root, int(free) if free.isdigit() else 0, int(need) if need.isdigit() else 0)

    def describe(self) -> str:
        """``docker's data root /var/lib/docker has 1.0 GB free, the pull needs 2.0 GB``."""
        return (
            f"docker's data root {self.root} has {human(self.free)} free, the pull needs "
            f"{human(self.needed)}"
        )
