#!/usr/bin/env bash
# Admin API at scale: the same admin calls against a control plane on a database of 10,000 keys and
# on one of 1,000,000 keys (seeded by bench/admin-seed.sh), one after the other on this machine
# with the same settings, and a Markdown table of p50/p99 per endpoint side by side with the p99
# ratio. Goal: every endpoint under 50 ms p99, and flat (ratio near 1).
#
#   bench/admin-api.sh [--reseed] [--sizes "10000 1000000"] [--calls 200] [--warmup 50]
#                      [--only SUBSTRING] [--rebuild]
#
# Seeded databases (tollgate_bench_admin_10k, tollgate_bench_admin_1m) are reused while they match
# the seed parameters, the control plane's migrations and are younger than 24 h; --reseed forces a
# new seed. An endpoint the control plane does not serve yet is reported with its HTTP status.
# Results, the table and the control plane's logs stay in .tollgate/bench/admin-api-<time>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
CP_JAR=$ROOT/control-plane/target/quarkus-app/quarkus-run.jar
BENCH_JAR=$ROOT/bench/admin-api/target/admin-api-bench.jar
CP_PORT=${BENCH_CP_PORT:-18090}
# Its own Redis database index, so the counters rpm-status reads never meet the tests' keys.
readonly REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/7}
readonly START_TIMEOUT=${START_TIMEOUT:-180}
# The seeder encrypts the provider secrets with this key; the control plane must hold the same.
readonly ENCRYPTION_KEY=VG9sbGdhdGUgYmVuY2htYXJrIGtleTogbm90IHByb2Q=

SIZES="10000 1000000"
CALLS=200
WARMUP=50
RESEED=false
REBUILD=false
ONLY=""

log() { printf 'admin-api: %s\n' "$*" >&2; }
die() {
  printf 'admin-api: ERROR: %s\n' "$*" >&2
  exit 1
}
# shellcheck source=scripts/lib/processes.sh
. "$ROOT/scripts/lib/processes.sh"

while (($#)); do
  case $1 in
    --reseed) RESEED=true; shift ;;
    --rebuild) REBUILD=true; shift ;;
    --sizes) SIZES=$2; shift 2 ;;
    --calls) CALLS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

label_of() { # 10000 -> 10k, 1000000 -> 1m
  local n=$1
  if ((n % 1000000 == 0)); then echo "$((n / 1000000))m"; elif ((n % 1000 == 0)); then echo "$((n / 1000))k"; else echo "$n"; fi
}

RUN_DIR=$ROOT/.tollgate/bench/admin-api-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
RESULTS=$RUN_DIR/results.jsonl

# One benchmark at a time on this machine (the other benchmarks take the same lock).
exec 8>"${TMPDIR:-/tmp}/tollgate-bench.lock"
if ! flock -n 8; then
  log "waiting for another benchmark to finish…"
  flock -w 1800 8 || die "another benchmark still holds the lock after 30 minutes"
fi

# 8>&-: a PostgreSQL or Redis it starts lives on and must not hold the benchmark lock.
"$ROOT/scripts/services.sh" >"$RUN_DIR/services.log" 2>&1 8>&- ||
  { cat "$RUN_DIR/services.log" >&2; die "scripts/services.sh failed"; }

if [[ $REBUILD == true || ! -f $CP_JAR || ! -f $BENCH_JAR ]]; then
  log "building the control plane and the benchmark"
  (cd "$ROOT" && ./mvnw -B -q --no-transfer-progress -DskipTests -Dspotless.check.skip=true \
    -pl control-plane,bench/admin-api -am package) || die "build failed"
fi

CP_PID=""
stop_cp() {
  if [[ -n $CP_PID ]]; then
    stop_process control-plane "$CP_PID" 30
    CP_PID=""
  fi
}
trap 'stop_cp' EXIT
trap 'echo >&2; exit 130' INT
trap 'exit 143' TERM

ADMIN_TOKEN=$(head -c 32 /dev/urandom | base64 -w 0 | tr -d '=+/')
INTERNAL_TOKEN=$(head -c 32 /dev/urandom | base64 -w 0 | tr -d '=+/')

{
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(psql --version | head -1), $(java -version 2>&1 | head -1)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RUN_DIR/machine.txt" >&2

labels=()
for size in $SIZES; do
  label=$(label_of "$size")
  labels+=("$label")
  db=tollgate_bench_admin_$label
  seed_args=(--keys "$size")
  if [[ $RESEED == true ]] || ! java -cp "$BENCH_JAR" dev.tollgate.bench.admin.AdminSeed \
    --db-url "jdbc:postgresql://127.0.0.1:5432/$db" "${seed_args[@]}" --check >&2; then
    log "seeding $db ($size keys)"
    start=$SECONDS
    java -cp "$BENCH_JAR" dev.tollgate.bench.admin.AdminSeed \
      --db-url "jdbc:postgresql://127.0.0.1:5432/$db" "${seed_args[@]}" 2>&1 8>&- |
      tee "$RUN_DIR/seed-$label.log" >&2
    log "seeded $db in $((SECONDS - start)) s"
  fi

  log "starting the control plane on $db"
  # 8>&-: the control plane must not hold the benchmark lock.
  env QUARKUS_HTTP_PORT="$CP_PORT" \
    TOLLGATE_DB_URL="jdbc:postgresql://127.0.0.1:5432/$db" \
    TOLLGATE_DB_USER=tollgate TOLLGATE_DB_PASSWORD=tollgate \
    TOLLGATE_ADMIN_TOKEN="$ADMIN_TOKEN" TOLLGATE_INTERNAL_TOKEN="$INTERNAL_TOKEN" \
    TOLLGATE_ENCRYPTION_KEY="$ENCRYPTION_KEY" TOLLGATE_REDIS_URL="$REDIS_URL" \
    java -jar "$CP_JAR" >"$RUN_DIR/cp-$label.log" 2>&1 8>&- &
  CP_PID=$!
  deadline=$((SECONDS + START_TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$CP_PORT/q/health/ready" 2>/dev/null; do
    kill -0 "$CP_PID" 2>/dev/null ||
      { tail -n 30 "$RUN_DIR/cp-$label.log" >&2; die "the control plane exited (log: $RUN_DIR/cp-$label.log)"; }
    ((SECONDS < deadline)) || die "the control plane was not ready within ${START_TIMEOUT}s"
    sleep 0.5
  done

  log "timing the admin API at $size keys ($WARMUP warm-up + $CALLS timed calls per endpoint)"
  bench_args=(--url "http://127.0.0.1:$CP_PORT" --token "$ADMIN_TOKEN"
    --db-url "jdbc:postgresql://127.0.0.1:5432/$db" --label "$label" --out "$RESULTS"
    --calls "$CALLS" --warmup "$WARMUP")
  [[ -n $ONLY ]] && bench_args+=(--only "$ONLY")
  java -jar "$BENCH_JAR" "${bench_args[@]}" 8>&- | tee "$RUN_DIR/run-$label.txt" >&2
  stop_cp
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RUN_DIR/machine.txt" >&2
java -jar "$BENCH_JAR" table "$RESULTS" --baseline "${labels[0]}" | tee "$RUN_DIR/table.md"
log "results in $RUN_DIR"
