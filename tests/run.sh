#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run them. Usage: bash tests/run.sh [pytest args]
# (This is the README's test command; .ci/run runs exactly this.)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
exec .venv/bin/python -m pytest "$@"
