#!/usr/bin/env bash
# Prepare a development environment: Python >= 3.10 with venv, git, and .venv with shipyard
# and its test dependencies (the test extra holds every action's dependencies too). Used by scripts/test.sh and scripts/demo.sh; idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${PYTHON:-python3}
need_apt=()
command -v git >/dev/null 2>&1 || need_apt+=(git)
if ! command -v "$python" >/dev/null 2>&1; then
  need_apt+=(python3 python3-venv)
elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need_apt+=(python3-venv)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-dev.sh: please install ${need_apt[*]} (needs root)" >&2
    exit 2
  fi
  echo "setup-dev.sh: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "setup-dev.sh: $("$python" --version 2>&1) is too old; shipyard needs Python >= 3.10" \
       "(set PYTHON=/path/to/python3.x)" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
