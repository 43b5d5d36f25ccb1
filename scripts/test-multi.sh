#!/usr/bin/env bash
# Several berths, one fleet: three real `berth serve` processes on one Postgres database and the
# real engine (test/integration/multi-berth*.test.ts, vitest project `multi`), then the bounded
# chaos run (scripts/chaos-multi.mjs). Needs the build (dist/) and PostgreSQL (scripts/ensure-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
BERTH_TEST_STORE=postgres timeout 900 scripts/ci/vt multi --project multi "$@" || rc=1
# The chaos run: kills a random berth every few seconds while creates, deletes and crashes go on.
timeout 300 node scripts/chaos-multi.mjs --seconds "${BERTH_CHAOS_SECONDS:-75}" || rc=1
exit "$rc"
