#!/usr/bin/env bash
# `make test-image`: boots berth's image the way an operator runs it (host network, read-only
# root, data volume, engine socket), waits for its HEALTHCHECK to say healthy, checks that it
# runs non-root on a read-only root, drives the API (a tenant instance is created on the host
# engine through the socket, seen running, deleted), then stops it and checks exit 0 within the
# grace period. Everything it makes carries a unique name/scope and is removed at the end.
# Usage: scripts/image-smoke.sh [image]   env: ENGINE (docker|podman), SOCKET (engine socket)
set -euo pipefail
image="${1:-berth/berth:dev-local}"
engine="${ENGINE:-docker}"
socket="${SOCKET:-/var/run/docker.sock}"
grace="${GRACE_SECONDS:-30}"
id="$$$(date +%s)"
name="berth-smoke-$id"
scope="smoke$id"
volume="$name-data"
log() { printf '[image-smoke] %s\n' "$*"; }
fail() { printf '[image-smoke] FAIL: %s\n' "$*" >&2; "$engine" logs --tail 30 "$name" >&2 2>&1 || true; exit 1; }

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port="$(free_port)"
range_start=$(( 40000 + (id % 200) * 100 ))
cleanup() {
  "$engine" rm -f "$name" >/dev/null 2>&1 || true
  # Only this run's scope: tenant containers, their volumes and the shared network it made.
  for c in $("$engine" ps -aq --filter "label=berth.scope=$scope" 2>/dev/null); do "$engine" rm -f "$c" >/dev/null 2>&1 || true; done
  for v in $("$engine" volume ls -q --filter "label=berth.scope=$scope" 2>/dev/null); do "$engine" volume rm -f "$v" >/dev/null 2>&1 || true; done
  for n in $("$engine" network ls -q --filter "label=berth.scope=$scope" 2>/dev/null); do "$engine" network rm "$n" >/dev/null 2>&1 || true; done
  "$engine" network rm "berth-shared-$scope" >/dev/null 2>&1 || true
  "$engine" volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$engine" image inspect "$image" >/dev/null 2>&1 || fail "no image $image (make build-image first)"
[ -S "$socket" ] || fail "no engine socket at $socket"
# berth runs as uid 10001 and reaches the socket through its group (--group-add).
[ "$(( 0$(stat -c %a "$socket") & 060 ))" = 48 ] || fail "$socket is not read-write for its group (mode $(stat -c %a "$socket")); rootful Podman makes it 0600: chmod 660 it (or use a dedicated group)"
log "starting $image as $name (port $port, scope $scope)"
"$engine" run -d --name "$name" --label "berth.smoke=$scope" \
  --network host --read-only --tmpfs /tmp:rw,nosuid,nodev,size=16m \
  --group-add "$(stat -c %g "$socket")" -v "$socket:/var/run/docker.sock" \
  -v "$volume:/data" --stop-timeout "$grace" \
  --health-interval 2s --health-timeout 5s --health-retries 3 --health-start-period 60s \
  -e BERTH_PORT="$port" -e BERTH_SCOPE="$scope" -e BERTH_PORT_RANGE="$range_start-$(( range_start + 99 ))" \
  -e BERTH_SHUTDOWN_GRACE_SECONDS=15 "$image" >/dev/null

log "waiting for the HEALTHCHECK to say healthy (90 s at most)"
status=""
# Podman runs HEALTHCHECKs from systemd timers; where systemd is not PID 1 nothing runs them,
# so the check is run here instead (the same command, and the same status it records).
manual_health=""
[ "$engine" = podman ] && [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ] && manual_health=1
for _ in $(seq 1 90); do
  [ -n "$manual_health" ] && podman healthcheck run "$name" >/dev/null 2>&1 || true
  status="$("$engine" inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null || true)"
  [ "$status" = healthy ] && break
  [ "$("$engine" inspect -f '{{.State.Running}}' "$name")" = true ] || fail "container exited"
  sleep 1
done
[ "$status" = healthy ] || fail "not healthy after 90 s (status: $status)"
log "healthy"

user="$("$engine" inspect -f '{{.Config.User}}' "$name")"
readonly_root="$("$engine" inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$name")"
uid="$("$engine" exec "$name" id -u)"
[ -n "$user" ] && [ "$uid" != 0 ] || fail "runs as root (Config.User='$user', uid $uid)"
[ "$readonly_root" = true ] || fail "root file system is writable"
"$engine" exec "$name" sh -c 'touch /app/x' 2>/dev/null && fail "could write to /app"
log "non-root (user $user, uid $uid), read-only root file system"

# The dashboard is built into the image: /ui/ answers 200 with its page, and its hashed assets
# are served with a year of caching.
ui="$(curl -sS --max-time 10 "http://127.0.0.1:$port/ui/")" || fail "GET /ui/ failed"
# Outputs are matched from variables (here-strings), never piped into `grep -q`: grep quits at
# its first match, the writer still writing gets SIGPIPE, and pipefail fails a check that passed.
grep -q '<div id="app">' <<<"$ui" || fail "GET /ui/ did not answer the dashboard: ${ui:0:200}"
asset="$(grep -o -m 1 'assets/[^"]*\.js' <<<"$ui" || true)"
[ -n "$asset" ] || fail "the dashboard page names no script asset"
headers="$(curl -sS --max-time 10 -D - -o /dev/null "http://127.0.0.1:$port/ui/$asset")" || fail "GET /ui/$asset failed"
grep -qi '^cache-control: public, max-age=31536000, immutable' <<<"$headers" || fail "GET /ui/$asset did not answer with long-lived caching"
log "dashboard served at /ui/ (script $asset, cached immutable)"

token="$("$engine" exec "$name" cat /data/admin.token)"
api() { curl -sS --max-time 90 -H "Authorization: Bearer $token" "$@"; }
base="http://127.0.0.1:$port"
body="$(api -X POST "$base/v1/instances?wait=running&timeout=60" -H 'content-type: application/json' -d "{\"tenant\":\"smoke\",\"name\":\"smoke-$id\",\"plan\":\"starter\"}")"
grep -q '"status":"running"' <<<"$body" || fail "instance did not reach running: $body"
cid="$("$engine" ps -q --filter "label=berth.scope=$scope" --filter "label=berth.name=smoke-$id")"
[ -n "$cid" ] || fail "no tenant container on the engine"
log "tenant instance smoke-$id running in container ${cid:0:12} on the host engine"
code="$(api -o /dev/null -w '%{http_code}' -X DELETE "$base/v1/instances/smoke-$id")"
[ "$code" = 200 ] || [ "$code" = 202 ] || [ "$code" = 204 ] || fail "delete answered $code"
for _ in $(seq 1 30); do [ -z "$("$engine" ps -aq --filter "label=berth.scope=$scope" --filter "label=berth.name=smoke-$id")" ] && break; sleep 1; done
[ -z "$("$engine" ps -aq --filter "label=berth.scope=$scope" --filter "label=berth.name=smoke-$id")" ] || fail "tenant container still there after delete"
log "deleted"

start=$(date +%s)
"$engine" stop -t "$grace" "$name" >/dev/null
took=$(( $(date +%s) - start ))
exit_code="$("$engine" inspect -f '{{.State.ExitCode}}' "$name")"
[ "$exit_code" = 0 ] || fail "exit code $exit_code after SIGTERM"
[ "$took" -lt "$grace" ] || fail "stop took ${took}s (grace ${grace}s): SIGTERM did not reach berth"
logs="$("$engine" logs "$name" 2>&1)" || true
grep -q 'berth stopped' <<<"$logs" || fail "no graceful shutdown line in the log"
log "stopped on SIGTERM in ${took}s with exit 0 (grace ${grace}s)"
log "PASS"
