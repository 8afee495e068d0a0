#!/usr/bin/env bash
# Read-replica lag: how long a commit on the primary takes to become visible on a streaming
# replica, idle, under a steady usage flush and under back-to-back flushes, in one run on a
# throw-away primary and hot standby (scripts/pg-replica-pair.sh) on loopback. Prints a Markdown
# table of p50/p90/p99/max per phase with the p99 ratio to idle.
#
#   bench/replica-lag.sh [--keys 10000] [--flush-interval-ms 1000] [--probe-interval-ms 20]
#                        [--idle-seconds 20] [--load-seconds 30] [--saturated-seconds 30]
#
# The two clusters live in a temporary directory and are stopped and deleted on exit (Ctrl-C
# included). Ports: BENCH_PRIMARY_PORT (25432) and BENCH_REPLICA_PORT (25433).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly PRIMARY_PORT=${BENCH_PRIMARY_PORT:-25432} REPLICA_PORT=${BENCH_REPLICA_PORT:-25433}
JAR=$ROOT/bench/replica-lag/target/replica-lag-bench.jar

log() { printf 'replica-lag: %s\n' "$*" >&2; }
die() {
  printf 'replica-lag: ERROR: %s\n' "$*" >&2
  exit 1
}

case "${1:-}" in
  -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

for port in "$PRIMARY_PORT" "$REPLICA_PORT"; do
  if (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is taken (set BENCH_PRIMARY_PORT / BENCH_REPLICA_PORT)"
  fi
done

# One benchmark at a time on this machine: the other bench scripts take the same lock.
exec 8>"${TMPDIR:-/tmp}/tollgate-bench.lock"
if ! flock -n 8; then
  log "waiting for another benchmark to finish…"
  flock -w 600 8 || die "another benchmark still holds the lock after 10 minutes"
fi

if [[ ! -f $JAR || ${REBUILD:-0} == 1 ]]; then
  (cd "$ROOT" && ./mvnw -B -q --no-transfer-progress -DskipTests -Dspotless.check.skip=true \
    -pl bench/replica-lag -am package)
fi

# Under /tmp: the servers run as the postgres OS user, which must reach the directory.
PAIR_DIR=$(mktemp -u /tmp/tollgate-replica-lag-XXXXXX)
readonly PAIR_DIR
trap '"$ROOT/scripts/pg-replica-pair.sh" stop "$PAIR_DIR" 8>&-' EXIT
"$ROOT/scripts/pg-replica-pair.sh" start "$PAIR_DIR" "$PRIMARY_PORT" "$REPLICA_PORT" 8>&-

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
  "$(psql --version | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
java -jar "$JAR" \
  --primary-url "jdbc:postgresql://127.0.0.1:$PRIMARY_PORT/tollgate" \
  --replica-url "jdbc:postgresql://127.0.0.1:$REPLICA_PORT/tollgate" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
