#!/usr/bin/env bash
# Runs test lanes side by side. A lane is a shell function run in the background with its
# output in its own log; each lane is bounded by `timeout` so a hung suite cannot eat the CI
# budget. Logs are printed whole, one lane after another, when each lane ends.
# Usage (sourced): run_lanes SECONDS lane_fn [lane_fn …]   → returns non-zero if any lane failed.
set -uo pipefail

run_lanes() {
  local limit="$1"; shift
  local dir; dir="$(mktemp -d)"
  local -A pids=()
  local lane
  for lane in "$@"; do
    # setsid: a timed-out lane is killed with its whole process group.
    ( export -f "$lane"; exec timeout --kill-after=30 "$limit" setsid bash -c "set -euo pipefail; $lane" ) >"$dir/$lane.log" 2>&1 &
    pids[$lane]=$!
    printf '  lane %-22s started (log: %s)\n' "$lane" "$dir/$lane.log"
  done
  local failed=0 rc start=$SECONDS
  for lane in "$@"; do
    rc=0; wait "${pids[$lane]}" || rc=$?
    printf '\n=== lane %s: %s after %ss\n' "$lane" "$([ "$rc" = 0 ] && echo passed || { [ "$rc" = 124 ] && echo "TIMED OUT (${limit}s)" || echo "failed (exit $rc)"; })" "$((SECONDS - start))"
    cat "$dir/$lane.log"
    [ "$rc" = 0 ] || failed=1
  done
  return "$failed"
}
