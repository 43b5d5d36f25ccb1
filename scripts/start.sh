#!/usr/bin/env bash
# `npm start`: everything a fresh machine needs, then `berth serve` in the foreground
# (SQLite in ./data, the local Docker engine). Extra arguments go to `berth serve`.
# Each step prints a header (as `npm test` does), so a long first install is not silence.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*" >&2; }

step "docker engine"; bash scripts/ensure-docker.sh
if [ ! -d node_modules ]; then
  step "npm ci (the first time compiles better-sqlite3: a few minutes)"; npm ci --no-audit --no-fund
fi
if [ ! -f dist/src/bundle/berth.js ] || [ -n "$(find src -newer dist/src/bundle/berth.js -name '*.ts' -print -quit)" ]; then
  step "build"; npm run -s build
fi
# The test agent image lets a first `berth create` work offline; build it once.
if ! docker image inspect berth/test-agent:local >/dev/null 2>&1; then
  step "image berth/test-agent:local"; bash images/build-test-agent.sh
fi
step "berth serve $*"
exec node dist/src/bundle/berth.js serve "$@"
