#!/usr/bin/env bash
# Install what the test bed needs on a Debian (bookworm or newer) machine, root, no systemd;
# on Ubuntu, Ubuntu's own docker-buildx package and ports mirror are used instead (that path is
# not exercised here, where only Debian's mirror is reachable):
# Docker engine, OCI registry, OpenSSH server, QEMU user emulation + binfmt, the buildx CLI
# plugin (from trixie's docker-buildx .deb) and busybox-static binaries for amd64 and arm64
# (the base images are built from them). It only installs: tests/services/ starts services.
# Also the Docker Compose v2 CLI plugin for the deploy action's compose-file (trixie's
# docker-compose .deb; Ubuntu's docker-compose-v2), and real old Pythons (bullseye's 3.9 and
# 2.7, unpacked by old_pythons.sh) that the bootstrap's tests check it refuses.
#
# Idempotent: every step checks first and skips what is already there, so a second run takes
# about a second. `apt-get update` runs first whenever anything has to be fetched (set
# SHIPYARD_APT_UPDATE=1 to force it). Downloads go to SHIPYARD_TESTBED_CACHE
# (default /var/cache/shipyard-testbed).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

CACHE="${SHIPYARD_TESTBED_CACHE:-/var/cache/shipyard-testbed}"
# The Debian mirror the system already uses (for the private trixie / arm64 lists).
system_mirror() {
  local uri
  uri=$(grep -hsoE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+/debian/?([[:space:]]|$)' \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list | head -n1 \
    | grep -oE '[a-z]+://[^[:space:]]+' || true)
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR="${SHIPYARD_DEBIAN_MIRROR:-$(system_mirror)}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# shellcheck disable=SC1091 # the running system's own file
OS_ID=$(. /etc/os-release 2>/dev/null && echo "${ID:-debian}")
# shellcheck disable=SC1091
CODENAME=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-bookworm}")
PACKAGES=(
  docker.io docker-registry openssh-server openssh-client qemu-user-static binfmt-support
  iproute2 iptables procps ca-certificates
)
PACKAGES+=(nginx)   # deploy: the hosts' reverse proxy (tests/services/nginx.py)
PACKAGES+=(strace)  # lint: which processes black starts (tests/lint/test_black_driver.py)
if [[ $OS_ID == ubuntu ]]; then
  PACKAGES+=(docker-buildx)   # in Ubuntu's universe; Debian bookworm has none
fi
PLUGIN_DIRS=("${HOME:-/root}/.docker/cli-plugins" /usr/libexec/docker/cli-plugins
  /usr/local/lib/docker/cli-plugins)
ARCHES=(amd64 arm64)
START=$SECONDS

log() { printf '[install.sh %3ds] %s\n' "$((SECONDS - START))" "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "install.sh: must run as root (apt-get, dpkg)" >&2
  exit 2
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# tests/test_bootstrap.py: real python3.9 and python2.7 the bootstrap must refuse (its own
# private apt setup; idempotent, so it runs before the "already installed" check).
SHIPYARD_DEBIAN_MIRROR="$MIRROR" bash "$(dirname "${BASH_SOURCE[0]}")/old_pythons.sh"

missing_packages=()
for pkg in "${PACKAGES[@]}"; do
  # A Docker engine or buildx from another source (docker-ce on GitHub's runners) is kept:
  # docker.io would conflict with it.
  [[ $pkg == docker.io ]] && command -v dockerd >/dev/null 2>&1 && continue
  [[ $pkg == docker-buildx ]] && docker buildx version >/dev/null 2>&1 && continue
  installed "$pkg" || missing_packages+=("$pkg")
done
# buildx that works with the docker CLI is kept, wherever it came from; ours goes into every
# plugin folder at once (any HOME, both docker CLIs).
need_buildx=0
docker buildx version >/dev/null 2>&1 || need_buildx=1
# deploy: Docker Compose v2 (the compose-file input); bookworm has none, trixie's
# docker-compose .deb holds the CLI plugin.
need_compose=0
docker compose version >/dev/null 2>&1 || need_compose=1
need_busybox=0
for arch in "${ARCHES[@]}"; do
  [[ -x "$CACHE/busybox/$arch/busybox" ]] || need_busybox=1
done
# Debian's python3 packages per architecture, unpacked into a rootfs for the sample app's
# Python base image (tests/services/python_image.py); no Docker Hub, so no python:3 image.
need_python=0
for arch in "${ARCHES[@]}"; do
  [[ -x "$CACHE/python/$arch/rootfs/usr/bin/python3" ]] || need_python=1
done

# The audit's resolution tests: real wheels (requests 2.18-2.20 and their dependencies) for a
# local package index (tests/services/package_index.py), fetched once with pip into the cache.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
need_wheels=0
for spec in requests-2.18.4 requests-2.19.1 requests-2.20.0 urllib3-1.23 idna-2.7 chardet-3.0.4 \
            certifi-2018.8.24 setuptools-75.3.0; do
  compgen -G "$CACHE/pypi-wheels/$spec-*.whl" >/dev/null || need_wheels=1
done
fetch_wheels() {
  if ! python3 -m pip --version >/dev/null 2>&1; then
    log "no pip for python3: the audit's package index wheels are not fetched"
    return 0
  fi
  (cd "$REPO" && SHIPYARD_TESTBED_CACHE="$CACHE" python3 -m tests.services.package_index download)
}
# Debian's postgresql-15 and redis-server with their libraries (amd64), unpacked into a rootfs
# each for the pipelines' service containers (tests/services/service_images.py).
SERVICES=(postgres redis)
need_services=0
for service in "${SERVICES[@]}"; do
  [[ -f "$CACHE/services/$service/rootfs/.complete" ]] || need_services=1
done

if [[ ${#missing_packages[@]} -eq 0 && $need_buildx -eq 0 && $need_busybox -eq 0 \
      && $need_compose -eq 0 && $need_python -eq 0 && $need_services -eq 0 \
      && -z "${SHIPYARD_APT_UPDATE:-}" ]]; then
  [[ $need_wheels -eq 1 ]] && fetch_wheels
  log "everything already installed (packages, buildx, busybox, services, wheels in $CACHE)"
  exit 0
fi

mkdir -p "$CACHE"
log "apt-get update"
apt-get update -qq

# A private apt configuration: its own sources list, lists and caches, one architecture.
# Used for trixie's docker-buildx and for bookworm arm64 busybox-static, so the system's own
# apt state (sources, lists, foreign architectures) is left untouched.
private_apt() { # name "sources line" arch -- apt-get args...
  local name=$1 line=$2 arch=$3
  shift 4
  local root="$CACHE/apt-$name"
  mkdir -p "$root/lists/partial" "$root/cache/archives/partial" "$root/parts"
  printf '%s\n' "$line" >"$root/sources.list"
  apt-get -qq \
    -o Dir::Etc::SourceList="$root/sources.list" \
    -o Dir::Etc::SourceParts="$root/parts" \
    -o Dir::State::Lists="$root/lists" \
    -o Dir::Cache="$root/cache" \
    -o APT::Architecture="$arch" \
    -o APT::Architectures::="$arch" \
    -o APT::Sandbox::User=root \
    "$@"
}

# Fetch one .deb with a private apt setup (updating its lists once) into $CACHE/debs/;
# sets DEB to its path.
private_download() { # name "sources line" arch package
  local name=$1 line=$2 arch=$3 pkg=$4
  local root="$CACHE/apt-$name"
  if [[ ! -s "$root/.updated" ]] || ! ls "$root/lists/"*Packages* >/dev/null 2>&1 \
      || [[ -n "${SHIPYARD_APT_UPDATE:-}" ]]; then
    log "apt-get update ($name: $line)"
    private_apt "$name" "$line" "$arch" -- update
    date -u +%FT%TZ >"$root/.updated"
  fi
  mkdir -p "$CACHE/debs"
  rm -f "$CACHE/debs/${pkg}_"*"_${arch}.deb"
  if ! (cd "$CACHE/debs" && private_apt "$name" "$line" "$arch" -- download "$pkg"); then
    log "download of $pkg failed; refreshing the $name lists and retrying"
    private_apt "$name" "$line" "$arch" -- update
    (cd "$CACHE/debs" && private_apt "$name" "$line" "$arch" -- download "$pkg")
  fi
  local debs=("$CACHE/debs/${pkg}_"*"_${arch}.deb")
  DEB=${debs[-1]}
}

if [[ ${#missing_packages[@]} -gt 0 ]]; then
  # No init system here: keep package scripts from starting daemons (we start our own).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  log "apt-get install ${missing_packages[*]}"
  apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  log "packages installed"
else
  log "packages already installed"
fi

if [[ $need_buildx -eq 1 ]]; then
  unpack=$(mktemp -d)
  if [[ $OS_ID == ubuntu ]]; then
    deb="Ubuntu's docker-buildx package"
    plugin=/usr/libexec/docker/cli-plugins/docker-buildx
  else
    private_download trixie "deb [signed-by=$KEYRING] $MIRROR trixie main" amd64 docker-buildx
    deb=$DEB
    dpkg -x "$deb" "$unpack"
    plugin="$unpack/usr/libexec/docker/cli-plugins/docker-buildx"
  fi
  [[ -x "$plugin" ]] || { echo "install.sh: no docker-buildx in $deb" >&2; exit 1; }
  # ~/.docker/cli-plugins for this user; the system plugin dirs for any HOME, searched by
  # both /usr/local/bin/docker (CLI 28) and /usr/bin/docker (20.10, from docker.io).
  for dir in "${PLUGIN_DIRS[@]}"; do
    [[ $plugin -ef "$dir/docker-buildx" ]] || install -D -m 755 "$plugin" "$dir/docker-buildx"
  done
  rm -rf "$unpack"
  log "buildx installed: $(basename "$deb") -> ${PLUGIN_DIRS[*]}"
else
  log "buildx already installed"
fi

if [[ $need_compose -eq 1 ]]; then
  unpack=$(mktemp -d)
  if [[ $OS_ID == ubuntu ]]; then
    apt-get install -y -qq --no-install-recommends docker-compose-v2 >/dev/null
    deb="Ubuntu's docker-compose-v2 package"
    plugin=/usr/libexec/docker/cli-plugins/docker-compose
  else
    private_download trixie "deb [signed-by=$KEYRING] $MIRROR trixie main" amd64 docker-compose
    deb=$DEB
    dpkg -x "$deb" "$unpack"
    plugin="$unpack/usr/libexec/docker/cli-plugins/docker-compose"
  fi
  [[ -x "$plugin" ]] || { echo "install.sh: no docker-compose plugin in $deb" >&2; exit 1; }
  # The system plugin dir only: every user's docker CLI (both of them) finds it there.
  dir=/usr/libexec/docker/cli-plugins
  [[ $plugin -ef "$dir/docker-compose" ]] || install -D -m 755 "$plugin" "$dir/docker-compose"
  rm -rf "$unpack"
  log "compose installed: $(basename "$deb") -> $dir"
else
  log "compose already installed"
fi

if [[ $need_busybox -eq 1 ]]; then
  for arch in "${ARCHES[@]}"; do
    [[ -x "$CACHE/busybox/$arch/busybox" ]] && continue
    if [[ $arch == amd64 ]]; then
      mkdir -p "$CACHE/debs"
      (cd "$CACHE/debs" && rm -f busybox-static_*_amd64.deb \
        && apt-get download -qq -o APT::Sandbox::User=root busybox-static:amd64)
      debs=("$CACHE/debs/"busybox-static_*_amd64.deb)
      deb=${debs[-1]}
    elif [[ $OS_ID == ubuntu ]]; then
      private_download "$CODENAME-$arch" "deb [arch=$arch \
signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg] http://ports.ubuntu.com/ubuntu-ports \
$CODENAME main universe" "$arch" busybox-static
      deb=$DEB
    else
      private_download "bookworm-$arch" \
        "deb [arch=$arch signed-by=$KEYRING] $MIRROR bookworm main" "$arch" busybox-static
      deb=$DEB
    fi
    unpack=$(mktemp -d)
    dpkg -x "$deb" "$unpack"
    install -D -m 755 "$unpack/bin/busybox" "$CACHE/busybox/$arch/busybox"
    rm -rf "$unpack"
    log "busybox-static $arch -> $CACHE/busybox/$arch/busybox"
  done
else
  log "busybox already cached in $CACHE/busybox"
fi

# The python3.X interpreter, its standard library and their direct library dependencies (one
# level: enough for the standard library's web, json and hashing modules), for each
# architecture, unpacked with dpkg -x (no maintainer scripts) into $CACHE/python/<arch>/rootfs.
python_packages() { # apt-cache command... -> package names
  local version deps
  version=$("$@" depends python3-minimal 2>/dev/null \
    | sed -n 's/.*Depends: python\(3\.[0-9]*\)-minimal.*/\1/p' | head -n1)
  [[ -n $version ]] || return 1
  deps=$("$@" depends "python$version-minimal" "libpython$version-minimal" \
    "libpython$version-stdlib" 2>/dev/null | sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<][^ ]*\).*/\2/p')
  # shellcheck disable=SC2086 # one package name per word
  printf '%s\n' "python$version-minimal" "libpython$version-minimal" "libpython$version-stdlib" \
    $deps | grep -vxE 'mime-support|mailcap' | sed 's/:.*//' | sort -u
}
if [[ $need_python -eq 1 ]]; then
  for arch in "${ARCHES[@]}"; do
    [[ -x "$CACHE/python/$arch/rootfs/usr/bin/python3" ]] && continue
    debs_dir="$CACHE/python/$arch/debs"
    rm -rf "$debs_dir" && mkdir -p "$debs_dir"
    if [[ $arch == amd64 ]]; then
      mapfile -t pkgs < <(python_packages apt-cache)
      (cd "$debs_dir" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]/%/:amd64}")
    else
      if [[ $OS_ID == ubuntu ]]; then
        name="$CODENAME-$arch"
        line="deb [arch=$arch signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg] \
http://ports.ubuntu.com/ubuntu-ports $CODENAME main universe"
      else
        name="bookworm-$arch"
        line="deb [arch=$arch signed-by=$KEYRING] $MIRROR bookworm main"
      fi
      private_download "$name" "$line" "$arch" busybox-static # updates the private lists once
      root="$CACHE/apt-$name"
      papt=(apt-cache -o Dir::Etc::SourceList="$root/sources.list"
        -o Dir::Etc::SourceParts="$root/parts" -o Dir::State::Lists="$root/lists"
        -o Dir::Cache="$root/cache" -o APT::Architecture="$arch" -o APT::Architectures::="$arch")
      mapfile -t pkgs < <(python_packages "${papt[@]}")
      (cd "$debs_dir" && private_apt "$name" "$line" "$arch" -- download "${pkgs[@]}")
    fi
    rootfs="$CACHE/python/$arch/rootfs"
    rm -rf "$rootfs" && mkdir -p "$rootfs"
    for deb in "$debs_dir"/*.deb; do dpkg -x "$deb" "$rootfs"; done
    rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/locale"
    for version in "$rootfs"/usr/bin/python3.*; do
      [[ $version =~ /python3\.[0-9]+$ ]] && break
    done
    version=${version##*/}
    ln -sf "$version" "$rootfs/usr/bin/python3"
    log "python ($version, ${#pkgs[@]} packages) $arch -> $rootfs"
  done
else
  log "python rootfs already cached in $CACHE/python"
fi

if [[ $need_wheels -eq 1 ]]; then
  fetch_wheels
else
  log "package index wheels already cached in $CACHE/pypi-wheels"
fi

# The service packages and their dependencies (recursively), less what a container never runs:
# perl and the maintainer-script tools, the cluster wrappers of postgresql-common, locales and
# LLVM (postgres runs with jit = off). dpkg -x, no maintainer scripts.
service_roots() { # service -> root packages
  case $1 in
    postgres) echo postgresql-15 postgresql-client-15 tzdata ;;
    redis) echo redis-server redis-tools ;;
  esac
}
SERVICE_EXCLUDE='^(perl|perl-base|perl-modules-.*|libperl.*|lib.*-perl|debconf|cdebconf|adduser|dpkg|install-info|init-system-helpers|lsb-base|sysvinit-utils|passwd|tar|usr-is-merged|usrmerge|ucf|sensible-utils|ssl-cert|postgresql-common|postgresql-client-common|libllvm[0-9]+|libz3-[0-9]+|locales|locales-all|libc-l10n|libdebian-installer4|libnewt.*|libslang2|libtextwrap1|readline-common|netbase|openssl|libc-bin)$'
if [[ $need_services -eq 1 ]]; then
  for service in "${SERVICES[@]}"; do
    rootfs="$CACHE/services/$service/rootfs"
    [[ -f "$rootfs/.complete" ]] && continue
    debs_dir="$CACHE/services/$service/debs"
    rm -rf "$debs_dir" "$rootfs" && mkdir -p "$debs_dir" "$rootfs"
    # shellcheck disable=SC2046 # one package name per word
    mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances $(service_roots "$service") 2>/dev/null \
      | grep -v '^[ <]' | sort -u | grep -vxE "$SERVICE_EXCLUDE")
    (cd "$debs_dir" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]/%/:amd64}")
    for deb in "$debs_dir"/*.deb; do dpkg -x "$deb" "$rootfs"; done
    rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/locale" "$debs_dir"
    touch "$rootfs/.complete"
    log "$service (${#pkgs[@]} packages) -> $rootfs"
  done
else
  log "service rootfs already cached in $CACHE/services"
fi

log "done"
