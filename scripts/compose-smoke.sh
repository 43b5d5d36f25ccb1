#!/usr/bin/env bash
# Brings compose.yaml up (berth on Postgres) to healthy, checks that berth's HEALTHCHECK turns
# unhealthy while Postgres is stopped and healthy again when it is back, then takes the stack
# down with its volumes. Everything is under a unique project name and berth scope.
# Usage: scripts/compose-smoke.sh [berth image]   env: COMPOSE (default: docker compose, else docker-compose)
set -euo pipefail
cd "$(dirname "$0")/.."
image="${1:-berth/berth:dev-local}"
id="$$$(date +%s)"
project="berthsmoke$id"
log() { printf '[compose-smoke] %s\n' "$*"; }
if [ -n "${COMPOSE:-}" ]; then read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose)
else echo "[compose-smoke] neither 'docker compose' nor docker-compose is installed (Debian: apt-get install docker-compose)" >&2; exit 1; fi

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
override="$(mktemp --suffix .yaml)"
# The shipped healthcheck interval (15 s) is for production; the test looks every 2 s.
cat > "$override" <<'YAML'
services:
  berth:
    healthcheck:
      interval: 2s
      timeout: 5s
      retries: 3
      start_period: 60s
YAML
export BERTH_IMAGE="$image" BERTH_PG_PASSWORD="smoke-$id" BERTH_PORT="$(free_port)" BERTH_PG_PORT="$(free_port)" \
  BERTH_SCOPE="csmoke$id" BERTH_ENGINE_GID="$(stat -c %g /var/run/docker.sock)"
dc() { "${compose[@]}" -p "$project" -f compose.yaml -f "$override" "$@"; }
cleanup() {
  dc down -v --timeout 30 >/dev/null 2>&1 || true
  for c in $(docker ps -aq --filter "label=berth.scope=$BERTH_SCOPE"); do docker rm -f "$c" >/dev/null 2>&1 || true; done
  docker network rm "berth-shared-$BERTH_SCOPE" >/dev/null 2>&1 || true
  rm -f "$override"
}
trap cleanup EXIT
fail() { printf '[compose-smoke] FAIL: %s\n' "$*" >&2; dc logs --tail 30 >&2 2>&1 || true; exit 1; }

wait_health() { # wait_health <service> <status> <seconds>
  local cid s=""
  cid="$(dc ps -q "$1")"
  for _ in $(seq 1 "$3"); do
    s="$(docker inspect -f '{{.State.Health.Status}}' "$cid" 2>/dev/null || true)"
    [ "$s" = "$2" ] && return 0
    sleep 1
  done
  fail "$1 is '$s', not '$2', after $3 s"
}

log "up: project $project, berth on 127.0.0.1:$BERTH_PORT, postgres on 127.0.0.1:$BERTH_PG_PORT"
dc up -d >/dev/null 2>&1 || fail "compose up failed"
wait_health postgres healthy 90
wait_health berth healthy 120
health="$(curl -fsS "http://127.0.0.1:$BERTH_PORT/health")" || fail "GET /health failed"
grep -q '"store":{"status":"up","detail":"postgres"' <<<"$health" || fail "berth is not on Postgres"
token="$(dc exec -T berth cat /data/admin.token)"
[ -n "$token" ] || fail "no admin token in the data volume"
log "both healthy; berth uses Postgres; admin token read from the data volume"

dc stop -t 30 postgres >/dev/null 2>&1
wait_health berth unhealthy 90
log "Postgres stopped: berth's HEALTHCHECK says unhealthy"
dc start postgres >/dev/null 2>&1
wait_health postgres healthy 90
wait_health berth healthy 120
log "Postgres back: berth healthy again"

dc down -v --timeout 30 >/dev/null 2>&1 || fail "compose down failed"
[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$project")" ] || fail "containers left after down"
log "down: no containers left"
log "PASS"
