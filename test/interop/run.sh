#!/usr/bin/env bash
# test/interop/run.sh — the whole interop tier: set up the real servers, run the suite
# with Node's test runner, tear down what setup started. Exit code: the suite's.
#
#   npm run test:interop            (= npm run pretest --silent && bash test/interop/run.sh)
#   bash test/interop/run.sh --if-root
#
# It needs root (it installs packages and binds port 25 and 53) and fails loudly without
# it — except with --if-root, for a developer's `npm test`: then it says it skips the tier
# and exits 0. CI never passes --if-root.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

if [ "$(id -u)" != 0 ]; then
  if [ "${1:-}" = --if-root ]; then
    echo "interop: SKIPPED — the interop tier needs root (apt-get install, ports 25 and 53); run 'sudo npm run test:interop' to include it" >&2
    exit 0
  fi
  die "the interop tier needs root (apt-get install, ports 25 and 53 on loopback); run it as root, e.g. sudo npm run test:interop"
fi

cd "$REPO"
SUITE="build/test/interop/interop.itest.js"
[ -f "$SUITE" ] || die "$SUITE is missing: compile first (npm run pretest), as npm run test:interop does"
[ -f dist/cli/main.js ] || die "dist/ is missing: npm run build first"

started=$(date +%s)
# The step running now (setup or the suite), run in the background so that a signal is
# handled at once rather than after the step ends.
CHILD=""
run_step() {
  local rc=0
  "$@" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}
# Tear down on every way out; the exit code stays the suite's (or setup's).
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CHILD" ]; then
    kill -TERM "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  if ! bash "$HERE/teardown.sh"; then
    log "teardown failed"
    [ "$rc" = 0 ] && rc=1
  fi
  log "finished in $(($(date +%s) - started)) s (exit $rc)"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_step bash "$HERE/setup.sh"

# The suite reads where the servers are from these (setup.sh wrote them).
set -a
# shellcheck disable=SC1091
. "$INTEROP_STATE/interop.env"
set +a

log "running the interop suite"
run_step timeout 600 node --test --test-timeout=300000 "$SUITE"
