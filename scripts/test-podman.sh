#!/usr/bin/env bash
# CI suite: berth on Podman. Starts Podman's Docker-compatible API service (rootful, on
# /run/podman/podman.sock) unless one answers, loads the test agent image from Docker into
# Podman's storage, and runs the lifecycle, monitor and jobs integration tests with DOCKER_HOST
# pointing at Podman, plus the Podman-only checks in test/podman/. Stops the service it started.
set -euo pipefail
cd "$(dirname "$0")/.."
sock="${PODMAN_SOCKET:-/run/podman/podman.sock}"
export DOCKER_HOST="unix://$sock"
step() { printf '\n=== podman: %s\n' "$*"; }
answers() { curl -fsS --max-time 5 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; }

# catatonit: Podman's init for containers created with Init: true (berth's default).
if ! command -v podman >/dev/null 2>&1 || [ ! -e /usr/libexec/podman/catatonit ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman catatonit >/dev/null
  else
    echo "test-podman: install podman and catatonit (Debian: apt-get install podman catatonit)" >&2; exit 1
  fi
fi

started=""
conf_dir=""
cleanup() {
  if [ -n "$started" ]; then kill "$started" 2>/dev/null || true; wait "$started" 2>/dev/null || true; fi
  if [ -n "$conf_dir" ]; then rm -rf "$conf_dir"; fi
}
trap cleanup EXIT

if ! answers; then
  [ "$(id -u)" = 0 ] || { echo "test-podman: run as root (rootful Podman), or start 'podman system service' yourself and set PODMAN_SOCKET" >&2; exit 1; }
  step "starting podman system service on $sock"
  # Podman (rootful) raises each container's nofile/nproc limits to the kernel maximum; where
  # berth's host caps them lower (containers, sandboxes), runc fails with "error setting rlimit
  # type 7: operation not permitted". Default limits no higher than this shell's hard limits.
  conf_dir="$(mktemp -d)"
  nofile="$(ulimit -Hn)"; nproc="$(ulimit -Hu)"
  [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
  [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$nofile" "$nofile" "$nproc" "$nproc" > "$conf_dir/containers.conf"
  mkdir -p "$(dirname "$sock")"
  CONTAINERS_CONF="$conf_dir/containers.conf" podman system service --time=0 "unix://$sock" >"$conf_dir/service.log" 2>&1 &
  started=$!
  for _ in $(seq 1 30); do answers && break; sleep 1; done
  answers || { echo "test-podman: the service did not answer within 30 s:" >&2; cat "$conf_dir/service.log" >&2; exit 1; }
fi
podman version --format 'podman {{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || true

step "test images into podman storage"
docker image inspect berth/test-agent:local >/dev/null 2>&1 || bash images/build-test-agent.sh
docker image inspect berth/s6-agent:local >/dev/null 2>&1 || bash images/build-s6-agent.sh
for image in berth/test-agent:local berth/s6-agent:local; do
  if [ "$(docker image inspect -f '{{.Id}}' "$image")" != "$(podman image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)" ]; then
    docker save "$image" | podman load -q
  fi
done

step "lifecycle, monitor and jobs tests on podman (SQLite)"
# Subnets no Docker lane uses: Podman accepts a subnet a Docker bridge holds while that bridge
# has no running container, and the host then routes the instances' traffic to Docker's bridge.
export BERTH_TEST_SHARED_SUBNET="${BERTH_TEST_SHARED_SUBNET:-10.212.0.0/16}" BERTH_TEST_SUBNET_POOL="${BERTH_TEST_SUBNET_POOL:-10.213.0.0/16}"
# One file at a time: timing-sensitive monitor tests on a busy 2-core machine.
# Two tests assert Docker behaviour Podman does not have (both run in the Docker configurations;
# the README's "Where Podman differs" says why): a host port taken by another process does not
# stop Podman from starting the container (no userland proxy holds the port), and a container
# removed with `rm -f` is first reported as a clean exit, so no `recreated` event is written.
DOCKER_ONLY='records every action in the event history|turns a refused restart \(host port taken\)'
BERTH_TEST_STORE=sqlite timeout 1200 scripts/ci/vt podman-integration --project integration --no-file-parallelism \
  -t "^(?!.*($DOCKER_ONLY)).*$" \
  test/integration/instances-lifecycle.test.ts test/integration/monitor-restart.test.ts test/integration/jobs-actions.test.ts "$@"
step "podman-only checks"
BERTH_TEST_STORE=sqlite timeout 300 scripts/ci/vt podman-only --project podman
