#!/usr/bin/env bash
# `npm start`: everything a fresh machine needs, then `berth serve` in the foreground
# (SQLite in ./data, the local Docker engine). Extra arguments go to `berth serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-docker.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ ! -f dist/src/cli/bin.js ] || [ -n "$(find src -newer dist/src/cli/bin.js -name '*.ts' -print -quit)" ]; then
  npm run -s build
fi
# The test agent image lets a first `berth create` work offline; build it once.
docker image inspect berth/test-agent:local >/dev/null 2>&1 || bash images/build-test-agent.sh
exec node dist/src/cli/bin.js serve "$@"
