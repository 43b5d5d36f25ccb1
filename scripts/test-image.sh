#!/usr/bin/env bash
# CI suite for berth's own image: builds the bases and the image offline, runs `make test-image`
# (healthy, non-root, read-only root, a tenant instance through the socket, graceful stop), then
# the compose stack with Postgres (healthy, unhealthy while the store is down, down again).
# Bounded: each step has a timeout. Leaves the built images for the next run's cache.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${BERTH_IMAGE_TEST_VERSION:-ci}"
step() { printf '\n=== image: %s\n' "$*"; }

bash scripts/ensure-docker.sh
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing docker-compose"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  else
    echo "test-image: install docker compose (or Debian's docker-compose)" >&2; exit 1
  fi
fi
docker image inspect berth/test-agent:local >/dev/null 2>&1 || bash images/build-test-agent.sh

step "base images (host node, toolchain) and postgres"
timeout 600 make -s base-images ENGINE=docker
docker image inspect berth/postgres:local >/dev/null 2>&1 || timeout 300 bash images/build-postgres.sh
step "build berth/berth:$version (first build compiles better-sqlite3: minutes)"
timeout 1200 make -s build-image ENGINE=docker VERSION="$version"
step "make test-image"
timeout 300 make -s test-image ENGINE=docker VERSION="$version"
step "compose stack"
timeout 420 bash scripts/compose-smoke.sh "berth/berth:$version"
