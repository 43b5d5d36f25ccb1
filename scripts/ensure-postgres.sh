#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1 with a `berth` role that may create
# databases (tests make one database per test file). On Debian as root, installs and starts
# Debian's postgresql if needed; otherwise explains what to do. Prints nothing on success.
set -euo pipefail
host=127.0.0.1
port="${BERTH_PG_PORT:-5432}"

answers() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; }

if ! answers; then
  if [ "$(id -u)" != "0" ] || [ ! -f /etc/debian_version ]; then
    echo "ensure-postgres: no PostgreSQL answers on $host:$port; start one, or set BERTH_TEST_DATABASE_URL." >&2
    exit 1
  fi
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    echo "ensure-postgres: installing Debian's postgresql ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
  fi
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  if [ -z "$(pg_lsclusters -h 2>/dev/null || true)" ]; then
    pg_createcluster "$version" main >/dev/null
  fi
  cluster="$(pg_lsclusters -h | awk 'NR==1{print $1" "$2}')"
  echo "ensure-postgres: starting cluster $cluster ..." >&2
  # shellcheck disable=SC2086
  pg_ctlcluster $cluster start || true
  for _ in $(seq 1 30); do answers && break; sleep 1; done
  answers || { echo "ensure-postgres: PostgreSQL did not come up" >&2; exit 1; }
fi

if [ "$(id -u)" = "0" ] && id postgres >/dev/null 2>&1; then
  [ "$(su postgres -c "psql -q -p $port -d postgres -tAc \"SELECT 1 FROM pg_roles WHERE rolname='berth'\"" 2>/dev/null || true)" = 1 ] ||
    su postgres -c "psql -q -d postgres -p $port -c \"CREATE ROLE berth LOGIN CREATEDB PASSWORD 'berth'\"" >/dev/null
fi
