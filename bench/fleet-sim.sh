#!/usr/bin/env bash
# Fleet simulator: N simulated data planes (real gRPC clients of UsageService.Flush, each with its own
# dp_instance_id and sequence) flushing every interval to one control plane started from its jar on
# a database of its own, for N = 1, 10, 50, 100, with the keys spread over the fleet (every key on
# every data plane) and distinct (each data plane its own keys); once on the one-batch-one-transaction
# path (baseline, TOLLGATE_FLUSH_COALESCE=false) and once coalesced, with the ratios. Ends by
# checking, after each run, that PostgreSQL holds exactly what the fleet had acknowledged.
#
#   bench/fleet-sim.sh [--modes baseline,coalesced] [--distributions spread,distinct]
#                      [--dps 1,10,50,100] [--seconds 60] [--interval-ms 5000]
#                      [--spread-keys 10000] [--distinct-keys 5000] [--cp-env NAME=VALUE]…
#
# Uses (and wipes) the database tollgate_bench_fleet; loopback only (control plane on
# BENCH_CP_PORT, 18095). Logs and the table stay in .tollgate/bench/fleet-sim-<time>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
CP_JAR=$ROOT/control-plane/target/quarkus-app/quarkus-run.jar
JAR=$ROOT/bench/fleet-sim/target/fleet-sim-bench.jar
PORT=${BENCH_CP_PORT:-18095}
DB=tollgate_bench_fleet

log() { printf 'fleet-sim: %s\n' "$*" >&2; }
die() {
  printf 'fleet-sim: ERROR: %s\n' "$*" >&2
  exit 1
}

case "${1:-}" in
  -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

if (: <"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is taken (set BENCH_CP_PORT)"
fi

"$ROOT/scripts/services.sh" >/dev/null 8>&-

# One benchmark at a time on this machine: the other bench scripts take the same lock.
exec 8>"${TMPDIR:-/tmp}/tollgate-bench.lock"
if ! flock -n 8; then
  log "waiting for another benchmark to finish…"
  flock -w 1800 8 || die "another benchmark still holds the lock after 30 minutes"
fi

if [[ ! -f $JAR || ! -f $CP_JAR || ${REBUILD:-0} == 1 ]]; then
  log "building the control plane and the simulator"
  (cd "$ROOT" && ./mvnw -B -q --no-transfer-progress -DskipTests -Dspotless.check.skip=true \
    -pl control-plane,bench/fleet-sim -am package) || die "build failed"
fi

if ! PGPASSWORD=tollgate psql -X -h 127.0.0.1 -U tollgate -d tollgate -tAc \
  "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  PGPASSWORD=tollgate psql -X -h 127.0.0.1 -U tollgate -d tollgate -qc "CREATE DATABASE $DB"
fi

RUN_DIR=$ROOT/.tollgate/bench/fleet-sim-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
{
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(psql --version | head -1), $(java -version 2>&1 | head -1)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RUN_DIR/machine.txt"
status=0
java -jar "$JAR" --cp-jar "$CP_JAR" --port "$PORT" \
  --db-url "jdbc:postgresql://127.0.0.1:5432/$DB" --log-dir "$RUN_DIR" "$@" 8>&- |
  tee "$RUN_DIR/table.md" || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RUN_DIR/machine.txt"
exit "$status"
