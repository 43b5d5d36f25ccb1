#!/usr/bin/env bash
# Makes sure a Docker engine answers. If none does and this is Debian with root, installs
# Debian's docker.io and starts dockerd in the background; otherwise explains what to do.
set -euo pipefail

sock="${DOCKER_SOCKET:-/var/run/docker.sock}"

engine_answers() {
  command -v docker >/dev/null 2>&1 && docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && return 0
  [ -S "$sock" ] && curl -fsS --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
}

if engine_answers; then
  exit 0
fi

if [ "$(id -u)" != "0" ] || [ ! -f /etc/debian_version ]; then
  echo "ensure-docker: no Docker engine answers at $sock." >&2
  echo "  Start one (e.g. 'sudo systemctl start docker' or 'sudo dockerd &') or set DOCKER_HOST, then retry." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing Debian's docker.io ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi

log="${DOCKERD_LOG:-/var/log/berth-dockerd.log}"
echo "ensure-docker: starting dockerd (log: $log) ..." >&2
nohup dockerd >"$log" 2>&1 &

for _ in $(seq 1 60); do
  if engine_answers; then
    echo "ensure-docker: engine is up." >&2
    exit 0
  fi
  sleep 1
done
echo "ensure-docker: dockerd did not answer within 60 s; see $log" >&2
exit 1
