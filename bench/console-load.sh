#!/usr/bin/env bash
# The console at scale: time from navigation to the keys page fully rendered, and to a search
# result, in headless chromium (Debian's, through WebDriver), against a control plane on a database
# of 10,000 keys and on one of 1,000,000 keys (seeded by bench/admin-seed.sh), one after the other
# with the same settings; a Markdown table of p50/p99 per scenario side by side with the p99 ratio.
# Goal: under 300 ms p99 at 1M keys, the same as at 10k.
#
#   bench/console-load.sh [--sizes "10000 1000000"] [--loads 50] [--warmup 5] [--reseed] [--rebuild]
#
# The seeded databases are those of bench/admin-api.sh (tollgate_bench_admin_10k, _1m), reused
# while they match. Results, the table and the control plane's logs stay in
# .tollgate/bench/console-load-<time>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
CP_JAR=$ROOT/control-plane/target/quarkus-app/quarkus-run.jar
SEED_JAR=$ROOT/bench/admin-api/target/admin-api-bench.jar
BENCH_JAR=$ROOT/bench/console-load/target/console-load-bench.jar
CP_PORT=${BENCH_CP_PORT:-18091}
readonly REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/7}
readonly START_TIMEOUT=${START_TIMEOUT:-180}
# The seeder encrypts provider secrets with this key (the same as bench/admin-api.sh).
readonly ENCRYPTION_KEY=VG9sbGdhdGUgYmVuY2htYXJrIGtleTogbm90IHByb2Q=

SIZES="10000 1000000"
LOADS=50
WARMUP=5
RESEED=false
REBUILD=false

log() { printf 'console-load: %s\n' "$*" >&2; }
die() {
  printf 'console-load: ERROR: %s\n' "$*" >&2
  exit 1
}
# shellcheck source=scripts/lib/processes.sh
. "$ROOT/scripts/lib/processes.sh"

while (($#)); do
  case $1 in
    --reseed) RESEED=true; shift ;;
    --rebuild) REBUILD=true; shift ;;
    --sizes) SIZES=$2; shift 2 ;;
    --loads) LOADS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] ||
  die "needs Debian's chromium and chromedriver: apt-get install chromium chromium-driver"

label_of() { # 10000 -> 10k, 1000000 -> 1m
  local n=$1
  if ((n % 1000000 == 0)); then echo "$((n / 1000000))m"; elif ((n % 1000 == 0)); then echo "$((n / 1000))k"; else echo "$n"; fi
}

RUN_DIR=$ROOT/.tollgate/bench/console-load-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
RESULTS=$RUN_DIR/results.jsonl

exec 8>"${TMPDIR:-/tmp}/tollgate-bench.lock"
if ! flock -n 8; then
  log "waiting for another benchmark to finish…"
  flock -w 1800 8 || die "another benchmark still holds the lock after 30 minutes"
fi

"$ROOT/scripts/services.sh" >"$RUN_DIR/services.log" 2>&1 8>&- ||
  { cat "$RUN_DIR/services.log" >&2; die "scripts/services.sh failed"; }

if [[ $REBUILD == true || ! -f $CP_JAR || ! -f $SEED_JAR || ! -f $BENCH_JAR ]]; then
  log "building the control plane, the seeder and the benchmark"
  (cd "$ROOT" && ./mvnw -B -q --no-transfer-progress -DskipTests -Dspotless.check.skip=true \
    -pl control-plane,bench/admin-api,bench/console-load -am package) || die "build failed"
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
    "$(/usr/bin/chromium --version 2>/dev/null | head -1), $(java -version 2>&1 | head -1)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RUN_DIR/machine.txt" >&2

db_value() { # database sql
  PGPASSWORD=tollgate psql -X -w -q -h 127.0.0.1 -U tollgate -d "$1" -Atc "$2" </dev/null
}

labels=()
for size in $SIZES; do
  label=$(label_of "$size")
  labels+=("$label")
  db=tollgate_bench_admin_$label
  if [[ $RESEED == true ]] || ! java -cp "$SEED_JAR" dev.tollgate.bench.admin.AdminSeed \
    --db-url "jdbc:postgresql://127.0.0.1:5432/$db" --keys "$size" --check >&2; then
    log "seeding $db ($size keys)"
    java -cp "$SEED_JAR" dev.tollgate.bench.admin.AdminSeed \
      --db-url "jdbc:postgresql://127.0.0.1:5432/$db" --keys "$size" 2>&1 8>&- |
      tee "$RUN_DIR/seed-$label.log" >&2
  fi
  # A prefix search (one key) and a name search with a status filter (an active key in the middle).
  prefix=$(db_value "$db" "SELECT prefix FROM api_key WHERE id = 1")
  name=$(db_value "$db" "SELECT name FROM api_key WHERE id >= $((size / 2)) AND status = 'active' ORDER BY id LIMIT 1")

  log "starting the control plane on $db"
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

  log "timing the console at $size keys ($WARMUP warm-up + $LOADS timed loads per scenario)"
  java -jar "$BENCH_JAR" --url "http://127.0.0.1:$CP_PORT" --token "$ADMIN_TOKEN" \
    --loads "$LOADS" --warmup "$WARMUP" --prefix "$prefix" --search "$name" \
    --label "$label" --json-out "$RESULTS" 8>&- 2> >(grep -v -e CdpVersionFinder -e 'Unable to find CDP' >&2) |
    tee "$RUN_DIR/run-$label.txt" >&2
  stop_cp
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RUN_DIR/machine.txt" >&2
java -jar "$BENCH_JAR" table "$RESULTS" | tee "$RUN_DIR/table.md"
log "results in $RUN_DIR"
