#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine. Ensures a Docker engine and PostgreSQL,
# installs, builds, lints, typechecks, builds the local images, then runs the unit tests and
# the integration tests against SQLite and against Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }

step "docker engine";  bash scripts/ensure-docker.sh
step "postgresql";     bash scripts/ensure-postgres.sh
# The CLI's terminal test drives berth in a real pty through tmux.
if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    step "tmux"; apt-get install -y -qq tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
  else
    echo "tmux is missing: install it (the CLI terminal test needs it)" >&2; exit 1
  fi
fi
if [ "${CI:-}" = "true" ] || [ ! -d node_modules ]; then
  step "npm ci"; npm ci --no-audit --no-fund
fi
step "build";          npm run -s build
chmod +x dist/src/cli/bin.js
step "lint";           npm run -s lint
step "typecheck";      npm run -s typecheck
step "images";         bash images/build-test-agent.sh
step "unit tests";     npx vitest run --project unit
step "integration tests (SQLite)";   BERTH_TEST_STORE=sqlite npx vitest run --project integration
step "integration tests (Postgres)"; BERTH_TEST_STORE=postgres npx vitest run --project integration
step "swarm tests (a real multi-node cluster)"; bash scripts/test-swarm.sh
