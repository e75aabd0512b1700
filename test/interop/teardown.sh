#!/usr/bin/env bash
# test/interop/teardown.sh — stops the servers test/interop/setup.sh started, and only
# those: each is found through the pid file in the state folder and checked to be ours
# (its command line names the state folder) before it is signalled. Packages, users and
# the state folder's files stay; a run with nothing to stop does nothing and succeeds.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# Nothing of ours can be running without our state folder.
[ -e "$INTEROP_MARKER" ] || exit 0

# Postfix: its own "stop" reads the master's pid file in our queue folder (locked by the
# running master, so a stale file is never trusted) and stops that master and its children.
PF="$INTEROP_STATE/postfix"
if [ -r "$PF/main.cf" ] && command -v postfix >/dev/null && postfix -c "$PF" status >/dev/null 2>&1; then
  log "stopping Postfix ($PF)"
  timeout 60 postfix -c "$PF" stop >/dev/null 2>&1 || log "postfix stop reported an error"
  # postfix stop returns before the master has exited; wait (bounded) until it has.
  for _ in $(seq 1 50); do
    postfix -c "$PF" status >/dev/null 2>&1 || break
    sleep 0.2
  done
  if postfix -c "$PF" status >/dev/null 2>&1; then
    log "Postfix still running after 10 s; killing its master"
    timeout 30 postfix -c "$PF" abort >/dev/null 2>&1 || true
  fi
fi

# Exim's daemon, Unbound and nsd: pid files whose process's command line names our state folder.
stop_pidfile "$INTEROP_STATE/exim/exim.pid" "$INTEROP_STATE/exim/exim.conf" "Exim"
stop_pidfile "$INTEROP_STATE/nginx/nginx.pid" "$INTEROP_STATE/nginx/nginx.conf" "nginx"
stop_pidfile "$INTEROP_STATE/unbound/unbound.pid" "$INTEROP_STATE/unbound/unbound.conf" "Unbound"
stop_pidfile "$INTEROP_STATE/nsd/nsd.pid" "$INTEROP_STATE/nsd/nsd.conf" "nsd"
