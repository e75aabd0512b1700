#!/usr/bin/env bash
# test/interop/run.sh — the whole interop tier: set up the real servers, run every suite
# (build/test/interop/*.itest.js, one after the other) with Node's test runner, tear down
# what setup started. Exit code: 0 when every suite passed, else a failing suite's.
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
# Every suite of the tier: build/test/interop/*.itest.js (interop.itest.js, enumerate.itest.js, …).
shopt -s nullglob
SUITES=(build/test/interop/*.itest.js)
shopt -u nullglob
[ "${#SUITES[@]}" -gt 0 ] || die "build/test/interop/*.itest.js is missing: compile first (npm run pretest), as npm run test:interop does"
[ -f build/test/interop/interop.itest.js ] || die "build/test/interop/interop.itest.js is missing: compile first (npm run pretest)"
[ -f dist/cli/main.js ] || die "dist/ is missing: npm run build first"

# One run of the tier at a time on this machine: the servers bind fixed loopback addresses
# and a second run's setup would tear the first one's servers down. Wait (bounded) for
# an earlier run to finish.
command -v flock >/dev/null || die "flock (util-linux) is missing"
exec 9>"$INTEROP_STATE.lock"
if ! flock -n 9; then
  log "another interop run holds $INTEROP_STATE.lock; waiting (at most 15 min)"
  flock -w 900 9 || die "another interop run still holds $INTEROP_STATE.lock after 15 min"
fi

started=$(date +%s)
# The step running now (setup or the suite), run in the background so that a signal is
# handled at once rather than after the step ends.
CHILD=""
run_step() {
  local rc=0
  # Without the lock's descriptor: the daemons setup.sh starts must not inherit (and keep) the lock.
  "$@" 9>&- &
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

# The suites one after the other, never at once: enumerate.itest.js counts the connections
# each server logs during its scan, which another suite's traffic would spoil.
rc=0
for suite in "${SUITES[@]}"; do
  log "running $suite"
  suite_started=$(date +%s)
  suite_rc=0
  run_step timeout 600 node --test --test-timeout=300000 "$suite" || suite_rc=$?
  log "$suite: exit $suite_rc in $(($(date +%s) - suite_started)) s"
  [ "$suite_rc" = 0 ] || rc=$suite_rc
done
exit "$rc"
