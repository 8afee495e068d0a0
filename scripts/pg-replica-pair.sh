#!/usr/bin/env bash
# A throw-away PostgreSQL primary and a hot standby streaming from it, both on loopback, for the
# read-replica tests and benchmark (and for trying TOLLGATE_DB_READ_URL by hand). Nothing outside
# DIR is touched: the machine's own clusters and their configuration stay as they are.
#
#   scripts/pg-replica-pair.sh start DIR PRIMARY_PORT REPLICA_PORT
#   scripts/pg-replica-pair.sh stop-server DIR primary|replica   # one goes away (fast shutdown)
#   scripts/pg-replica-pair.sh start-server DIR primary|replica  # and comes back, streaming again
#   scripts/pg-replica-pair.sh stop DIR                          # stops both and deletes DIR
#
# start: initdb DIR/primary with the role tollgate (password tollgate, scram-sha-256 on loopback)
# owning the database tollgate, and replication allowed to the superuser postgres from loopback;
# then pg_basebackup -R into DIR/replica, started on REPLICA_PORT as a hot standby; returns once
# the primary reports it streaming. The servers run as the postgres OS user when this runs as root
# (initdb refuses root), else as the calling user. PG_BIN overrides where the binaries are.
set -euo pipefail

readonly START_TIMEOUT=60 STREAM_TIMEOUT=30

log() { printf 'pg-replica-pair: %s\n' "$*" >&2; }
die() {
  printf 'pg-replica-pair: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

bin_dir() {
  if [[ -n ${PG_BIN:-} ]]; then
    printf '%s\n' "$PG_BIN"
    return
  fi
  # Debian keeps the server binaries out of PATH, one directory per major version: the newest.
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -n $newest && -x $newest/initdb ]]; then
    printf '%s\n' "$newest"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  else
    die "no PostgreSQL server binaries (initdb): install postgresql, or set PG_BIN"
  fi
}

as_pg() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_of() { sed -n 's/^port = \([0-9]*\)$/\1/p' "$1/postgresql.conf" | tail -1; }

show_logs() {
  local dir=$1 log
  for log in "$dir"/primary.log "$dir"/replica.log; do
    [[ -f $log ]] && { log "--- $log"; tail -20 "$log" >&2; }
  done
  return 0
}

start_server() {
  local dir=$1 name=$2
  as_pg "$BIN/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w -t "$START_TIMEOUT" start >/dev/null ||
    { show_logs "$dir"; die "the $name did not start (logs above)"; }
}

wait_streaming() {
  local dir=$1 primary_port waited=0
  primary_port=$(port_of "$dir/primary")
  until [[ $(as_pg "$BIN/psql" -h "$dir" -p "$primary_port" -U postgres -d postgres -tAc \
    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null) == 1 ]]; do
    ((waited++ < STREAM_TIMEOUT * 10)) || { show_logs "$dir"; die "the replica is not streaming after ${STREAM_TIMEOUT}s"; }
    sleep 0.1
  done
}

start_pair() {
  local dir=$1 primary_port=$2 replica_port=$3
  [[ $primary_port =~ ^[0-9]+$ && $replica_port =~ ^[0-9]+$ ]] || die "ports must be numbers"
  [[ ! -e $dir/primary ]] || die "$dir/primary exists: stop that pair first"
  mkdir -p "$dir"
  chmod 700 "$dir"
  [[ $EUID -ne 0 ]] || chown postgres: "$dir"

  as_pg "$BIN/initdb" -D "$dir/primary" -U postgres -E UTF8 --locale=C.UTF-8 -N \
    --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # Small buffers: two extra clusters share the machine with everything else. Sockets live in DIR,
  # so nothing needs /var/run/postgresql.
  as_pg tee -a "$dir/primary/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $primary_port
unix_socket_directories = '$dir'
shared_buffers = 32MB
max_connections = 60
max_wal_senders = 4
wal_level = replica
hot_standby = on
EOF
  as_pg tee "$dir/primary/pg_hba.conf" >/dev/null <<'EOF'
local all         all                    trust
local replication all                    trust
host  all         postgres 127.0.0.1/32 trust
host  replication postgres 127.0.0.1/32 trust
host  all         all      127.0.0.1/32 scram-sha-256
EOF
  start_server "$dir" primary
  as_pg "$BIN/psql" -h "$dir" -p "$primary_port" -U postgres -d postgres -qX -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE tollgate LOGIN PASSWORD 'tollgate'" \
    -c "CREATE DATABASE tollgate OWNER tollgate" >/dev/null ||
    { stop_pair "$dir"; die "could not create the role and database"; }

  as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" \
    -R -X stream -c fast >"$dir/basebackup.log" 2>&1 ||
    { cat "$dir/basebackup.log" >&2; stop_pair "$dir"; die "pg_basebackup failed"; }
  printf 'port = %s\n' "$replica_port" | as_pg tee -a "$dir/replica/postgresql.conf" >/dev/null
  start_server "$dir" replica
  wait_streaming "$dir"
  log "primary 127.0.0.1:$primary_port, replica 127.0.0.1:$replica_port (hot standby, streaming)"
}

stop_server() {
  local dir=$1 name=$2
  if [[ -f $dir/$name/postmaster.pid ]]; then
    as_pg "$BIN/pg_ctl" -D "$dir/$name" -m fast -w -t "$START_TIMEOUT" stop >/dev/null 2>&1 ||
      as_pg "$BIN/pg_ctl" -D "$dir/$name" -m immediate stop >/dev/null 2>&1 || true
  fi
}

stop_pair() {
  local dir=$1
  [[ -d $dir ]] || return 0
  stop_server "$dir" replica
  stop_server "$dir" primary
  rm -rf "$dir"
}

command=${1:-}
case "$command" in
  -h | --help) usage; exit 0 ;;
  start) [[ $# -eq 4 ]] || { usage >&2; exit 2; } ;;
  stop) [[ $# -eq 2 ]] || { usage >&2; exit 2; } ;;
  stop-server | start-server)
    [[ $# -eq 3 && ($3 == primary || $3 == replica) ]] || { usage >&2; exit 2; }
    ;;
  *) usage >&2; exit 2 ;;
esac
BIN=$(bin_dir)
readonly BIN
dir=$2
[[ $dir == /* ]] || die "DIR must be an absolute path"

case "$command" in
  start) start_pair "$dir" "$3" "$4" ;;
  stop) stop_pair "$dir" ;;
  stop-server) stop_server "$dir" "$3" ;;
  start-server)
    start_server "$dir" "$3"
    # A restarted primary waits for the standby's WAL receiver to retry (every 5 s by default).
    wait_streaming "$dir"
    ;;
esac
