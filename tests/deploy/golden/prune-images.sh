
# The images (tag and digest) a release record names.
record_refs() {
  grep -o '"\(image\|digest\)": "[^"]*"' "$1" 2>/dev/null | sed 's/^.*: "\(.*\)"$/\1/' \
    | grep -v '^$' || true
}
release_ids() { ls -1 "$1/releases" 2>/dev/null | sed -n 's/\.json$//p' | LC_ALL=C sort -u; }
# A state dir's keep window: its newest KEEP releases, and its current one.
window() {
  { release_ids "$1" | LC_ALL=C sort -r | head -n "$2"; cat "$1/current" 2>/dev/null || true; } \
    | grep -v '^$' | LC_ALL=C sort -u
}
# Every state dir on the host that this deploy can know of.
state_dirs() {
  local dir
  {
    printf '%s\n' "$STATE"
    for dir in "$(dirname "$STATE")"/*/; do
      if [[ -d ${dir}releases ]]; then printf '%s\n' "${dir%/}"; fi
    done
    docker ps --all --format '{{.Label "shipyard.state"}}'
  } | grep -v '^$' | LC_ALL=C sort -u
}
image_ids() {
  [[ $# -gt 0 ]] || return 0
  docker image inspect --format '{{.Id}}' "$@" 2>/dev/null || true
}
printf '%s\n' 5 >"$STATE/keep"
protected=()
while read -r dir; do
  if [[ ! -r $dir/releases || ! -x $dir/releases ]]; then
    say images-kept "cannot read $dir/releases"
    exit 0
  fi
  keep=$(cat "$dir/keep" 2>/dev/null || true)
  [[ $keep =~ ^[0-9]+$ ]] || keep=1000000
  while read -r id; do
    mapfile -t -O "${#protected[@]}" protected < <(record_refs "$dir/releases/$id.json")
  done < <(window "$dir" "$keep")
done < <(state_dirs)
candidates=()
while read -r id; do
  mapfile -t -O "${#candidates[@]}" candidates < <(record_refs "$STATE/releases/$id.json")
done < <(LC_ALL=C comm -23 <(release_ids "$STATE") <(window "$STATE" 5))
[[ ${#candidates[@]} -gt 0 ]] || exit 0
in_use=$(
  {
    docker ps --all --quiet | xargs -r docker inspect --format '{{.Image}}' 2>/dev/null || true
    image_ids ${protected[@]+"${protected[@]}"}
  } | LC_ALL=C sort -u
)
for id in $(image_ids "${candidates[@]}" | LC_ALL=C sort -u); do
  if grep -qxF -- "$id" <<<"$in_use"; then continue; fi
  if docker image rm -- "$id" >/dev/null 2>&1; then
    say image-pruned "$id"
  else
    say image-prune-failed "$id"
  fi
done
