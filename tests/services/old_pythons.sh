#!/usr/bin/env bash
# Real old CPython interpreters for tests/test_bootstrap.py, which checks that the bootstrap
# refuses them: Debian bullseye's python3.9 (its probe runs and says "too old") and python2.7
# (which does not even take the probe's -I). Their -minimal packages (the interpreter and the
# core of its standard library) for this machine's architecture, unpacked with dpkg -x (no
# maintainer scripts) into $CACHE/old-python/rootfs. Relocated like that, each still finds
# its standard library (sys.prefix from the landmark lib/pythonX.Y/os.py beside it); the
# libraries they link (libc, libexpat, zlib) are the host's.
#
# Run by install.sh (root); idempotent. Fetched with a private apt configuration (its own
# sources list, lists and caches), so the system's apt state is left untouched. The suite
# and mirror can be changed with SHIPYARD_OLD_PYTHON_SUITE and SHIPYARD_OLD_PYTHON_MIRROR
# (e.g. http://archive.debian.org/debian once bullseye is archived).
set -euo pipefail

CACHE="${SHIPYARD_TESTBED_CACHE:-/var/cache/shipyard-testbed}"
SUITE="${SHIPYARD_OLD_PYTHON_SUITE:-bullseye}"
MIRROR="${SHIPYARD_OLD_PYTHON_MIRROR:-${SHIPYARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PACKAGES=(python3.9-minimal libpython3.9-minimal python2.7-minimal libpython2.7-minimal)
ROOT="$CACHE/old-python"
ROOTFS="$ROOT/rootfs"

log() { printf '[old_pythons.sh] %s\n' "$*"; }

if [[ -x "$ROOTFS/usr/bin/python3.9" && -x "$ROOTFS/usr/bin/python2.7" ]]; then
  log "python3.9 and python2.7 already in $ROOTFS"
  exit 0
fi

arch=$(dpkg --print-architecture)
apt_root="$ROOT/apt-$SUITE-$arch"
mkdir -p "$apt_root/lists/partial" "$apt_root/cache/archives/partial" "$apt_root/parts"
printf 'deb [arch=%s signed-by=%s] %s %s main\n' "$arch" "$KEYRING" "$MIRROR" "$SUITE" \
  >"$apt_root/sources.list"
private_apt() {
  apt-get -qq \
    -o Dir::Etc::SourceList="$apt_root/sources.list" \
    -o Dir::Etc::SourceParts="$apt_root/parts" \
    -o Dir::State::Lists="$apt_root/lists" \
    -o Dir::Cache="$apt_root/cache" \
    -o APT::Architecture="$arch" \
    -o APT::Architectures::="$arch" \
    -o APT::Sandbox::User=root \
    "$@"
}

log "apt-get update ($SUITE $arch from $MIRROR)"
private_apt update
debs="$ROOT/debs"
rm -rf "$debs" "$ROOTFS" && mkdir -p "$debs" "$ROOTFS"
(cd "$debs" && private_apt download "${PACKAGES[@]}")
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$ROOTFS"; done
rm -rf "$ROOTFS/usr/share/doc" "$ROOTFS/usr/share/man" "$debs"
for name in python3.9 python2.7; do
  [[ -x "$ROOTFS/usr/bin/$name" ]] || { echo "old_pythons.sh: no $name in $SUITE" >&2; exit 1; }
done
log "python3.9 and python2.7 ($SUITE $arch) -> $ROOTFS"
