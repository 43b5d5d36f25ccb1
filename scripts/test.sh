#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine. Ensures a Docker engine and PostgreSQL,
# installs, builds, lints, typechecks, builds the local images, runs the unit tests, then the
# integration suites in lanes side by side (each bounded in time), and ends with one line
# "tests: N passed, N failed" summed over every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }
# shellcheck source=scripts/ci/lanes.sh
source scripts/ci/lanes.sh

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
chmod +x dist/src/bundle/berth.js
step "lint";           npm run -s lint
step "typecheck";      npm run -s typecheck
step "images";         bash images/build-test-agent.sh; bash images/build-s6-agent.sh

export BERTH_TEST_RESULTS="$PWD/.test-results"
rm -rf "$BERTH_TEST_RESULTS"; mkdir -p "$BERTH_TEST_RESULTS"
vt() { scripts/ci/vt "$@"; }
export -f vt

step "unit tests";     vt unit --project unit

# Lanes run side by side; suites inside a lane share state (or CPU budget) and run in order.
# Every suite of a lane runs even when an earlier one failed; the lane fails if any did.
lane_sqlite() {
  local rc=0
  BERTH_TEST_STORE=sqlite vt integration-sqlite --project integration || rc=1
  # The dashboard in Chromium (one browser, one engine).
  bash scripts/test-ui.sh || rc=1
  return "$rc"
}
lane_postgres() {
  local rc=0
  BERTH_TEST_STORE=postgres vt integration-postgres --project integration || rc=1
  # Three berth processes on one Postgres store: leadership, takeover, locks, then the bounded
  # chaos run. Before the Swarm suite and never beside it: with the host engine in Swarm mode
  # the multi-berth instances did not come up (seen in a CI run; cause not yet found).
  bash scripts/test-multi.sh || rc=1
  # The Swarm suite: puts the host engine in Swarm mode with two namespaced worker engines.
  bash scripts/test-swarm.sh || rc=1
  return "$rc"
}
# berth's own image and compose stack, then berth on Podman: engine-heavy builds, no shared state.
lane_image() {
  local rc=0
  bash scripts/test-image.sh || rc=1
  bash scripts/test-podman.sh || rc=1
  return "$rc"
}

step "integration suites"
rc=0
run_lanes "${BERTH_LANE_TIMEOUT:-2400}" lane_sqlite lane_postgres lane_image || rc=$?

step "summary"
node scripts/ci/summary.mjs "$BERTH_TEST_RESULTS"
exit "$rc"
