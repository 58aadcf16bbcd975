#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, starting them with the
# machine's own commands when they do not. A cluster that is still starting (after a reboot or a
# crash) makes pg_ctlcluster say "already running" (exit 2): then we wait for it rather than fail.
# A postmaster.pid left by a server that died, whose pid now belongs to another process, would
# keep pg_ctlcluster saying so forever: when nothing listens after the wait, it is moved aside and
# the start is tried once more.
set -uo pipefail

WAIT_S=${SERVICE_WAIT_SECONDS:-90}
log() { printf '[services] %s\n' "$*"; }

pg_answers() { pg_isready -q -h 127.0.0.1 -p 5432 -t 2; }
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

wait_for() { # name, check
  local deadline=$((SECONDS + WAIT_S))
  while [ $SECONDS -lt $deadline ]; do
    "$2" && return 0
    sleep 0.5
  done
  return 1
}

pg_start() {
  local version out rc
  version=$(ls /etc/postgresql | head -n 1)
  out=$(pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1); rc=$?
  [ -n "$out" ] && log "pg_ctlcluster: $out"
  return $rc
}

pg_pidfile() { echo "/var/lib/postgresql/$(ls /etc/postgresql | head -n 1)/main/postmaster.pid"; }

ensure_postgres() {
  pg_answers && return 0
  log "PostgreSQL does not answer on 127.0.0.1:5432: starting it"
  pg_start # exit 2 (already running, maybe still starting) is waited for below
  wait_for PostgreSQL pg_answers && return 0
  local pidfile pid
  pidfile=$(pg_pidfile)
  pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && ! grep -q 'bin/postgres' "/proc/$pid/cmdline" 2>/dev/null; then
    log "postmaster.pid names pid $pid, which is not a PostgreSQL server: moving it aside and starting again"
    mv "$pidfile" "$pidfile.stale" && pg_start
    wait_for PostgreSQL pg_answers && return 0
  fi
  log "PostgreSQL still does not answer after ${WAIT_S}s; the end of its log:"
  tail -n 30 /var/log/postgresql/postgresql-*-main.log 2>/dev/null || true
  return 1
}

ensure_redis() {
  redis_answers && return 0
  log "Redis does not answer on 127.0.0.1:6379: starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_answers && return 0
  log "Redis still does not answer after ${WAIT_S}s; the end of its log:"
  tail -n 30 /var/log/redis/ci.log 2>/dev/null || true
  return 1
}

status=0
ensure_postgres || status=1
ensure_redis || status=1
exit $status
