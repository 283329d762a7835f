#!/usr/bin/env bash
# The demo (README): prepares .venv, then runs examples/notify-demo.yml under act against a
# local Slack emulator and SMTP server and shows what they received. Needs no Docker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-dev.sh
exec .venv/bin/python scripts/demo.py
