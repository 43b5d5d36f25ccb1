#!/usr/bin/env bash
# The Swarm suite: brings up a real multi-node Swarm on this machine (scripts/swarm-cluster.sh),
# runs test/swarm on Postgres against the Swarm driver, and always tears the cluster down.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'bash scripts/swarm-cluster.sh down' EXIT
started=$SECONDS
timeout 300 bash scripts/swarm-cluster.sh up
echo "swarm cluster up in $((SECONDS - started))s"
BERTH_TEST_STORE="${BERTH_TEST_STORE:-postgres}" timeout 1500 scripts/ci/vt swarm --project swarm "$@"
