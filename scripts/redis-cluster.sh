#!/usr/bin/env bash
# A throw-away Redis Cluster on loopback for the Redis Cluster tests (and for trying
# TOLLGATE_REDIS_CLUSTER by hand): one master per PORT, no replicas, no persistence, every file in
# DIR. Nothing outside DIR is touched; the machine's own Redis stays as it is.
#
#   scripts/redis-cluster.sh start DIR PORT...   # at least 3 ports; cluster bus on PORT + 10000
#   scripts/redis-cluster.sh stop DIR            # kills the servers and deletes DIR
#
# start: runs Debian's redis-server in cluster mode on each PORT (daemonised, pid files in DIR),
# joins them with `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes` (slots spread
# evenly), and returns once every node reports cluster_state:ok. It prints the seed list as the
# data and control planes take it: redis://127.0.0.1:PORT,redis://127.0.0.1:PORT,…
set -euo pipefail

readonly START_TIMEOUT=20

log() { printf 'redis-cluster: %s\n' "$*" >&2; }
die() {
  printf 'redis-cluster: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds or time runs out.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

answers() { [[ $(redis-cli -p "$1" PING 2>/dev/null) == PONG ]]; }
cluster_ok() { redis-cli -p "$1" CLUSTER INFO 2>/dev/null | grep -q '^cluster_state:ok'; }

stop_cluster() {
  local dir=$1 pidfile pid
  for pidfile in "$dir"/redis-*.pid; do
    [[ -e $pidfile ]] || continue
    pid=$(<"$pidfile")
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

start_cluster() {
  local dir=$1 port nodes=() urls=()
  shift
  mkdir -p "$dir"
  # A start that fails half-way leaves nothing running.
  trap 'stop_cluster "$dir"' ERR
  for port in "$@"; do
    [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 2000 \
      --save '' --appendonly no --dir "$dir" --daemonize yes \
      --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log"
    nodes+=("127.0.0.1:$port")
    urls+=("redis://127.0.0.1:$port")
  done
  for port in "$@"; do
    wait_for "$START_TIMEOUT" answers "$port" ||
      { stop_cluster "$dir"; die "redis-server on port $port did not start"; }
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
    { cat "$dir/create.log" >&2; stop_cluster "$dir"; die "redis-cli --cluster create failed"; }
  for port in "$@"; do
    wait_for "$START_TIMEOUT" cluster_ok "$port" ||
      { stop_cluster "$dir"; die "node $port did not reach cluster_state:ok"; }
  done
  trap - ERR
  log "cluster of ${#nodes[@]} masters up in $dir"
  (IFS=,; printf '%s\n' "${urls[*]}")
}

command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
(($# >= 2)) || { usage >&2; exit 2; }
command=$1
dir=$2
[[ $dir == /* ]] || die "DIR must be an absolute path"
case "$command" in
  start)
    (($# >= 5)) || die "a Redis Cluster needs at least 3 masters: give 3 ports or more"
    shift 2
    start_cluster "$dir" "$@"
    ;;
  stop) stop_cluster "$dir" ;;
  *) usage >&2; exit 2 ;;
esac
