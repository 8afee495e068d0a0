#!/usr/bin/env bash
# Data-plane replica scale: a data plane holding 1,000,000 keys, 10,000 users and 1,000 provider
# keys (100 groups x 10). Seeds a database of its own through bench/admin-seed.sh (reused when it
# already holds these parameters), starts a control plane and a data plane from their jars, and
# prints three figures:
#   - time to ready: data-plane process start to its first 200 on /q/health/ready (goal <= 30 s)
#   - heap after a full GC: jcmd GC.run, then the used heap from jcmd GC.heap_info (goal <= 1 GiB)
#   - revocation latency: DELETE /admin/v1/keys/{id} sent, then the data plane polled with that
#     key every 10 ms until it answers 401 (goal <= 2 s); several keys, one after the other
#
#   bench/dp-replica-scale.sh [--keys 1000000] [--users 10000] [--groups 100]
#                             [--provider-keys-per-group 10] [--revocations 5] [--dp-heap 1536m]
#
# Environment: BENCH_DB (tollgate_bench_replica_1m), BENCH_CP_PORT (18180), BENCH_DP_PORT (18181),
# START_TIMEOUT (300 s per readiness wait), REBUILD=1 to rebuild the jars.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly DB=${BENCH_DB:-tollgate_bench_replica_1m}
readonly CP_PORT=${BENCH_CP_PORT:-18180} DP_PORT=${BENCH_DP_PORT:-18181}
readonly START_TIMEOUT=${START_TIMEOUT:-300}
# The seeder's default key, so that the control plane can decrypt the seeded provider secrets.
readonly ENCRYPTION_KEY=VG9sbGdhdGUgYmVuY2htYXJrIGtleTogbm90IHByb2Q=
readonly SEED=42
CP_JAR=$ROOT/control-plane/target/quarkus-app/quarkus-run.jar
DP_JAR=$ROOT/data-plane/target/quarkus-app/quarkus-run.jar

KEYS=1000000 USERS=10000 NGROUPS=100 PK_PER_GROUP=10 REVOCATIONS=5 DP_HEAP=1536m

log() { printf 'dp-replica-scale: %s\n' "$*" >&2; }
die() {
  printf 'dp-replica-scale: ERROR: %s\n' "$*" >&2
  exit 1
}
. "$ROOT/scripts/lib/processes.sh"

while (($# > 0)); do
  case $1 in
    --keys) KEYS=${2:?}; shift 2 ;;
    --users) USERS=${2:?}; shift 2 ;;
    --groups) NGROUPS=${2:?}; shift 2 ;;
    --provider-keys-per-group) PK_PER_GROUP=${2:?}; shift 2 ;;
    --revocations) REVOCATIONS=${2:?}; shift 2 ;;
    --dp-heap) DP_HEAP=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

for port in "$CP_PORT" "$DP_PORT"; do
  if (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is taken (set BENCH_CP_PORT / BENCH_DP_PORT)"
  fi
done

# One benchmark at a time on this machine: the other bench scripts take the same lock.
exec 8>"${TMPDIR:-/tmp}/tollgate-bench.lock"
if ! flock -n 8; then
  log "waiting for another benchmark to finish…"
  flock -w 600 8 || die "another benchmark still holds the lock after 10 minutes"
fi

"$ROOT/scripts/services.sh" >/dev/null 8>&-

if [[ ! -f $CP_JAR || ! -f $DP_JAR || ${REBUILD:-0} == 1 ]]; then
  (cd "$ROOT" && ./mvnw -B -q --no-transfer-progress -DskipTests -Dspotless.check.skip=true \
    -pl control-plane,data-plane -am package)
fi

seed_args=(--db "$DB" --keys "$KEYS" --users "$USERS" --groups "$NGROUPS"
  --provider-keys-per-group "$PK_PER_GROUP" --errors 1000 --minute-rows 1000 --hour-rows 1000)
if "$ROOT/bench/admin-seed.sh" "${seed_args[@]}" --check 8>&-; then
  log "reusing $DB (already seeded with these parameters)"
else
  log "seeding $DB: $KEYS keys, $USERS users, $((NGROUPS * PK_PER_GROUP)) provider keys…"
  "$ROOT/bench/admin-seed.sh" "${seed_args[@]}" 8>&-
fi

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-dp-replica-scale-XXXXXX")
readonly RUN_DIR
ADMIN_TOKEN=bench-admin-$RANDOM$RANDOM
INTERNAL_TOKEN=bench-internal-$RANDOM$RANDOM
CP_PID='' DP_PID=''
cleanup() {
  [[ -n $DP_PID ]] && stop_process data-plane "$DP_PID" 30
  [[ -n $CP_PID ]] && stop_process control-plane "$CP_PID" 30
  log "logs in $RUN_DIR"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# await_ready PORT: waits for a 200 on /q/health/ready, polling every 100 ms.
await_ready() {
  local port=$1 deadline=$((SECONDS + START_TIMEOUT))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/q/health/ready") == 200 ]]; do
    ((SECONDS < deadline)) || die "nothing ready on port $port after ${START_TIMEOUT}s; see $RUN_DIR"
    sleep 0.1
  done
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
  "load average before $(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck disable=SC2086
env QUARKUS_HTTP_PORT="$CP_PORT" TOLLGATE_DB_URL="jdbc:postgresql://127.0.0.1:5432/$DB" \
  TOLLGATE_DB_USER=tollgate TOLLGATE_DB_PASSWORD=tollgate \
  TOLLGATE_ADMIN_TOKEN="$ADMIN_TOKEN" TOLLGATE_INTERNAL_TOKEN="$INTERNAL_TOKEN" \
  TOLLGATE_ENCRYPTION_KEY="$ENCRYPTION_KEY" \
  java -Xmx512m ${JAVA_OPTS:-} -jar "$CP_JAR" >"$RUN_DIR/control-plane.log" 2>&1 &
CP_PID=$!
await_ready "$CP_PORT"
log "control plane ready (pid $CP_PID, heap capped at 512 MiB)"

start_ms=$(now_ms)
# shellcheck disable=SC2086
env QUARKUS_HTTP_PORT="$DP_PORT" TOLLGATE_CONTROL_PLANE="127.0.0.1:$CP_PORT" \
  TOLLGATE_INTERNAL_TOKEN="$INTERNAL_TOKEN" TOLLGATE_REDIS_URL=redis://127.0.0.1:6379/15 \
  java -Xmx"$DP_HEAP" ${JAVA_OPTS:-} -jar "$DP_JAR" >"$RUN_DIR/data-plane.log" 2>&1 &
DP_PID=$!
await_ready "$DP_PORT"
ready_ms=$(($(now_ms) - start_ms))
loaded=$(grep -o 'Config snapshot loaded.*' "$RUN_DIR/data-plane.log" | head -1)
log "data plane ready: $loaded"

jcmd "$DP_PID" GC.run >/dev/null
heap_kb=$(jcmd "$DP_PID" GC.heap_info | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+')
heap_mib=$((heap_kb / 1024))

# Revocations: active keys of the seed, whose secrets the seeder derives from their ids.
mapfile -t ids < <(psql -h 127.0.0.1 -U tollgate -d "$DB" -Atc \
  "SELECT id FROM api_key WHERE status = 'active' AND (expires_at IS NULL OR expires_at > now())
     ORDER BY id DESC LIMIT $REVOCATIONS")
((${#ids[@]} > 0)) || die "no active key left to revoke in $DB"
latencies=()
for id in "${ids[@]}"; do
  secret="tg-bench-$SEED-$id"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $secret" \
    "http://127.0.0.1:$DP_PORT/v1/models")
  [[ $code == 200 ]] || die "key $id answers $code before its revocation"
  t0=$(now_ms)
  curl -sf -o /dev/null -X DELETE -H "Authorization: Bearer $ADMIN_TOKEN" \
    "http://127.0.0.1:$CP_PORT/admin/v1/keys/$id" || die "revoking key $id failed"
  while true; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $secret" \
      "http://127.0.0.1:$DP_PORT/v1/models")
    [[ $code == 401 ]] && break
    (($(now_ms) - t0 < 30000)) || die "key $id still answers $code 30 s after its revocation"
    sleep 0.01
  done
  latencies+=($(($(now_ms) - t0)))
done
sorted=$(printf '%s\n' "${latencies[@]}" | sort -n | tr '\n' ' ')

echo
echo "| figure | measured | goal |"
echo "|---|---|---|"
echo "| keys / users / provider keys | $KEYS / $USERS / $((NGROUPS * PK_PER_GROUP)) | |"
echo "| time to ready from cold start | $(awk "BEGIN {printf \"%.1f s\", $ready_ms / 1000}") | <= 30 s |"
echo "| heap after full GC (-Xmx$DP_HEAP) | $heap_mib MiB | <= 1024 MiB |"
echo "| revocation reaching the DP (${#latencies[@]} keys, sorted) | ${sorted% } ms | <= 2000 ms |"
echo
echo "snapshot: $loaded"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
