#!/usr/bin/env bash
# The demo (README): prepares .venv, then
# - when the lint, audit and deploy actions are in this checkout: installs the test bed's
#   packages (root; idempotent) and runs the platform pipeline (pull request, merge, tag, two
#   approvers, deploy, watch) under act with scripts/demo_pipeline.py, printing where to look;
# - otherwise (or with SHIPYARD_DEMO=notify): runs examples/notify-demo.yml under act against a
#   local Slack emulator and SMTP server (scripts/demo.py; needs no Docker).
# `bash scripts/demo.sh --stop <demo folder>` stops what the pipeline demo left running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-dev.sh
if [[ ${1:-} == --stop ]]; then
  exec .venv/bin/python scripts/demo_pipeline.py --stop "${2:?the demo folder}"
fi
have_pipeline_actions() {
  .venv/bin/python -c 'import importlib.util as u, sys
sys.exit(0 if all(u.find_spec("shipyard." + a) for a in ("lint", "audit", "deploy")) else 1)'
}
if [[ ${SHIPYARD_DEMO:-pipeline} != notify ]] && have_pipeline_actions; then
  if [[ $(id -u) -eq 0 ]]; then
    bash tests/services/install.sh
  fi
  exec .venv/bin/python scripts/demo_pipeline.py
fi
exec .venv/bin/python scripts/demo.py
