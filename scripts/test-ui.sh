#!/usr/bin/env bash
# The dashboard's end-to-end suite: Debian's Chromium driven by playwright-core against a real
# berth and the real engine. Installs Chromium if missing (root + apt), builds the dashboard if
# it is not built, then runs the e2e-ui vitest project. Screenshots land in test-artifacts/e2e-ui.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM="${BERTH_TEST_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium"
    timeout 600 apt-get install -y -qq chromium >/dev/null || { timeout 300 apt-get update -qq && timeout 600 apt-get install -y -qq chromium >/dev/null; }
  else
    echo "chromium is missing at $CHROMIUM: install Debian's chromium package (the dashboard tests need it)" >&2; exit 1
  fi
fi
if [ ! -f dist/web/index.html ] || [ ! -f dist/src/bundle/berth.js ]; then timeout 600 npm run -s build; fi
mkdir -p test-artifacts/e2e-ui
timeout 1200 scripts/ci/vt e2e-ui --project e2e-ui "$@"
