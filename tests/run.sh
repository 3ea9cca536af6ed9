#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run them with pytest.
# Usage: bash tests/run.sh [pytest args]   (the README's test command; .ci/run runs exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

# Browser tests (classroom app, HTML report): Debian's Chromium, and the app page's JS/CSS,
# which Solara normally takes from a CDN, fetched once from the npm registry.
apt_install() {
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "tests/run.sh: cannot install $* (needs root and apt-get); the browser tests will skip" >&2
    return 1
  fi
}
[ -x /usr/bin/chromium ] || apt_install chromium || true
command -v npm >/dev/null || apt_install npm || true
.venv/bin/massengage app --install-assets \
  || echo "tests/run.sh: could not install the app's page assets; browser tests may fail" >&2

exec .venv/bin/python -m pytest "$@"
