"""Old releases' images removed from the host, as their containers are (pure).

``keep-releases`` applies to images too. After a deploy is recorded, the
:class:`PruneImages` step removes an image only when all of these hold:

1. it is the image (by tag or digest) of a release recorded in this state dir
   (``state-dir/<app>/releases/``) that is *outside* this state dir's keep window: not one of
   its newest ``keep-releases`` records (by release id) and not its current release;
2. no container on the Docker engine uses it: ``docker ps --all`` (every app, every state:
   running, stopped, created) and the image id of each;
3. no release record *inside the keep window of any state dir on the host* names it. The
   state dirs are: this one, every other app's under the same state root
   (``state-dir/*/releases``), and every state dir named by a ``shipyard.state`` label of a
   container on the engine (each deploy labels its containers with its state dir, so another
   deploy user's or another environment's state dir is found). A state dir's keep window is
   its newest records up to the ``keep`` it wrote (all of them when it wrote none) plus its
   current release. Records name images by tag and digest; both are resolved to image ids on
   the engine and compared by id;
4. ``docker image rm`` (never forced) agrees: docker itself refuses an image a container
   uses, or one tagged in several repositories.

A state dir that cannot be read (another user's) stops the step before it removes anything
(``images-kept``): what its records name is unknown. A removal that fails is said
(``image-prune-failed``), never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import markers
from .markers import Markers
from .render import ScriptRenderer
from .steps import RemoteStep, Reply

#: The keep of a state dir that never wrote one: every record is in its window.
KEEP_ALL = 1_000_000

FUNCTIONS = """
# The images (tag and digest) a release record names.
record_refs() {
  grep -o '"\\(image\\|digest\\)": "[^"]*"' "$1" 2>/dev/null | sed 's/^.*: "\\(.*\\)"$/\\1/' \\
    | grep -v '^$' || true
}
release_ids() { ls -1 "$1/releases" 2>/dev/null | sed -n 's/\\.json$//p' | LC_ALL=C sort -u; }
# A state dir's keep window: its newest KEEP releases, and its current one.
window() {
  { release_ids "$1" | LC_ALL=C sort -r | head -n "$2"; cat "$1/current" 2>/dev/null || true; } \\
    | grep -v '^$' | LC_ALL=C sort -u
}
# Every state dir on the host that this deploy can know of.
state_dirs() {
  local dir
  {
    printf '%s\\n' "$STATE"
    for dir in "$(dirname "$STATE")"/*/; do
      if [[ -d ${dir}releases ]]; then printf '%s\\n' "${dir%/}"; fi
    done
    docker ps --all --format '{{.Label "shipyard.state"}}'
  } | grep -v '^$' | LC_ALL=C sort -u
}
image_ids() {
  [[ $# -gt 0 ]] || return 0
  docker image inspect --format '{{.Id}}' "$@" 2>/dev/null || true
}
"""


@dataclass(frozen=True)
class PrunedImages:
    """What the step did: the image ids removed, the ones docker refused, why none was tried."""

    removed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    kept: str = ""  # why nothing was removed (a state dir that could not be read)


@dataclass(frozen=True)
class PruneImages(RemoteStep[PrunedImages]):
    """Remove the images of this state dir's releases past ``keep`` that nothing else needs
    (see the module), and write ``keep`` for the other state dirs' deploys to read."""

    renderer: ScriptRenderer
    keep: int
    name: str = "prune-images"

    def body(self) -> str:
        return (
            FUNCTIONS
            + f"""printf '%s\\n' {int(self.keep)} >"$STATE/keep"
protected=()
while read -r dir; do
  if [[ ! -r $dir/releases || ! -x $dir/releases ]]; then
    say {markers.IMAGES_KEPT} "cannot read $dir/releases"
    exit 0
  fi
  keep=$(cat "$dir/keep" 2>/dev/null || true)
  [[ $keep =~ ^[0-9]+$ ]] || keep={KEEP_ALL}
  while read -r id; do
    mapfile -t -O "${{#protected[@]}}" protected < <(record_refs "$dir/releases/$id.json")
  done < <(window "$dir" "$keep")
done < <(state_dirs)
candidates=()
while read -r id; do
  mapfile -t -O "${{#candidates[@]}}" candidates < <(record_refs "$STATE/releases/$id.json")
done < <(LC_ALL=C comm -23 <(release_ids "$STATE") <(window "$STATE" {int(self.keep)}))
[[ ${{#candidates[@]}} -gt 0 ]] || exit 0
in_use=$(
  {{
    docker ps --all --quiet | xargs -r docker inspect --format '{{{{.Image}}}}' 2>/dev/null || true
    image_ids ${{protected[@]+"${{protected[@]}}"}}
  }} | LC_ALL=C sort -u
)
for id in $(image_ids "${{candidates[@]}}" | LC_ALL=C sort -u); do
  if grep -qxF -- "$id" <<<"$in_use"; then continue; fi
  if docker image rm -- "$id" >/dev/null 2>&1; then
    say {markers.IMAGE_PRUNED} "$id"
  else
    say {markers.IMAGE_PRUNE_FAILED} "$id"
  fi
done
"""
        )

    def parse(self, reply: Reply) -> PrunedImages:
        """The images removed, refused, or why none was tried."""
        found = Markers.read(reply.output)
        return PrunedImages(
            tuple(w[0] for w in found.all(markers.IMAGE_PRUNED) if w),
            tuple(w[0] for w in found.all(markers.IMAGE_PRUNE_FAILED) if w),
            " ".join(found.all(markers.IMAGES_KEPT)[0]) if found.has(markers.IMAGES_KEPT) else "",
        )
