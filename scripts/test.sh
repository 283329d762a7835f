#!/usr/bin/env bash
# The test command (README, .ci/run): installs the test bed's system packages (as root; the
# script is idempotent and fast when they are there), the Python environment in .venv, then
# runs the linters and the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" = 0 ]; then
  bash tests/services/install.sh
else
  echo "test.sh: not root, so the test bed's system packages are not installed;" \
       "tests that need them are skipped (and fail under CI=true)." >&2
fi

bash scripts/setup-dev.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff, mypy, generated files"
ruff check .
ruff format --check .
mypy
python scripts/generate.py --check

echo "== pytest"
exec python -m pytest "$@"
