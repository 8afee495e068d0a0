#!/usr/bin/env bash
# Data-plane overhead: sends the same chat completion straight to the stub upstream ("direct"),
# through nginx as a plain reverse proxy ("nginx", the yardstick of a proxy's cost) and through the
# data plane ("dp", with a client key, authentication, RPM and concurrency limits in Redis, and
# metering on), in one run, and prints them side by side: p50/p99 at a fixed rate (open loop, coordinated omission corrected), the
# latency the DP adds and its ratios, and the maximum throughput of each (closed loop) as a ratio.
#
# It reuses the built jars (building the missing ones), starts PostgreSQL and Redis through
# scripts/services.sh, then a stub upstream, a control plane on a throw-away database and a data
# plane, all on loopback and on ports of their own; provisions a user, provider group, provider key
# and client key through the admin API; runs the load generator (bench/loadgen) against each target;
# and stops everything it started when it exits, however it exits.
#
# Raw results (one JSON line per run), the table and the servers' logs stay in
# .tollgate/bench/dp-overhead-<time>/ (gitignored).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
# Where the build puts them; each run copies them first (see "snapshot" below).
STUB_JAR=$ROOT/bench/stub-upstream/target/stub-upstream.jar
LOADGEN_JAR=$ROOT/bench/loadgen/target/loadgen.jar
CP_JAR=$ROOT/control-plane/target/quarkus-app/quarkus-run.jar
DP_JAR=$ROOT/data-plane/target/quarkus-app/quarkus-run.jar

# Ports of their own, so a quickstart (8080/8081/9090) can keep running beside a benchmark.
STUB_PORT=${BENCH_STUB_PORT:-19090}
CP_PORT=${BENCH_CP_PORT:-18080}
DP_PORT=${BENCH_DP_PORT:-18081}
NGINX_PORT=${BENCH_NGINX_PORT:-18082}
readonly BENCH_DB=${BENCH_DB:-tollgate_bench}
# A redis-server of its own (started and stopped by the run), so the bench's counters never meet
# anyone else's and its CPU is accounted like the other servers'.
readonly REDIS_PORT=${BENCH_REDIS_PORT:-16379}
readonly START_TIMEOUT=${START_TIMEOUT:-90}
readonly STOP_TIMEOUT=30

DURATION=20
WARMUP=10
SETTLE=2
RATE=1000
CONNECTIONS=32
STREAM=true
PIN="split"
LOADGEN_CPUS=0
SERVER_CPUS=1
TARGETS="direct nginx dp"
REBUILD=false

log() { printf 'dp-overhead: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib/processes.sh
. "$ROOT/scripts/lib/processes.sh"
die() {
  printf 'dp-overhead: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Usage: bench/dp-overhead.sh [options]

Runs the same chat completion against the stub upstream directly and through the data plane, in one
run: a warm-up at saturation, then per target a fixed rate (non-streaming), saturation
(non-streaming) and a fixed rate (streaming), and prints them side by side. About 3 minutes with
the defaults; everything it starts is stopped on exit.

  --duration S        measured seconds per scenario (default 20)
  --warmup S          seconds at saturation per target before measuring, half non-streaming and
                      half streaming (without --no-stream), discarded (default 10)
  --settle S          seconds at each scenario's own load before its measurement (default 2)
  --rate N            the fixed rate, requests per second (default 1000)
  --connections N     connections at saturation (default 32)
  --no-stream         skip the streaming scenario
  --targets "A B"     which targets, in order; the first is the baseline (default
                      "direct nginx dp"); "direct" alone needs neither the planes nor
                      PostgreSQL/Redis; "nginx" needs nginx (installed with apt-get when missing
                      and the script runs as root)
  --pin split|none    split (default): the load generator on CPU 0, every server on CPU 1;
                      none: all processes share every CPU
  --loadgen-cpus L    CPUs for the load generator with --pin split (default 0)
  --server-cpus L     CPUs for the stub, the CP and the DP with --pin split (default 1)
  --rebuild           build the jars even when they exist

Environment: BENCH_STUB_PORT (19090), BENCH_CP_PORT (18080), BENCH_DP_PORT (18081),
BENCH_NGINX_PORT (18082),
BENCH_DB (tollgate_bench, dropped and created afresh), BENCH_REDIS_PORT (16379, a private
redis-server),
START_TIMEOUT (90 s per readiness wait), JAVA_OPTS (passed to the stub, CP and DP).
EOF
}

while (($# > 0)); do
  case $1 in
    --duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs seconds}; shift 2 ;;
    --settle) SETTLE=${2:?--settle needs seconds}; shift 2 ;;
    --rate) RATE=${2:?--rate needs a number}; shift 2 ;;
    --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
    --no-stream) STREAM=false; shift ;;
    --targets) TARGETS=${2:?--targets needs a list}; shift 2 ;;
    --pin) PIN=${2:?--pin needs split or none}; shift 2 ;;
    --loadgen-cpus) LOADGEN_CPUS=${2:?}; shift 2 ;;
    --server-cpus) SERVER_CPUS=${2:?}; shift 2 ;;
    --rebuild) REBUILD=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

# --- targets -----------------------------------------------------------------------------------

# A target is a function setup_<name> that starts what it needs (pinned with SERVER_PREFIX, through
# `start` so that it is stopped on exit) and sets TARGET_URL[<name>] and TARGET_AUTH[<name>] (the
# Authorization header its clients send). All of them answer the same request body; the stub is
# every target's upstream. Adding one is one more function.
declare -A TARGET_URL=() TARGET_AUTH=()

setup_direct() {
  TARGET_URL[direct]=http://127.0.0.1:$STUB_PORT/v1/chat/completions
  TARGET_AUTH[direct]="Bearer $UPSTREAM_SECRET"
}

# nginx as a plain reverse proxy in front of the stub, configured as one would for an API: two
# workers (one per core of the machine it was sized for), keep-alive connections to the upstream,
# no buffering of responses (streams pass as they come, as the DP does), no access log.
setup_nginx() {
  local dir=$RUN_DIR/nginx
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  upstream stub {
    server 127.0.0.1:$STUB_PORT;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://stub;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
CONF
  start nginx "$RUN_DIR/nginx.log" "${SERVER_PREFIX[@]}" "$NGINX_BIN" -c "$dir/nginx.conf" -p "$dir"
  wait_ready nginx "http://127.0.0.1:$NGINX_PORT/v1/models" "Authorization: Bearer $UPSTREAM_SECRET"
  TARGET_URL[nginx]=http://127.0.0.1:$NGINX_PORT/v1/chat/completions
  TARGET_AUTH[nginx]="Bearer $UPSTREAM_SECRET"
}

admin() { # method path [json] -> response body; dies on a non-2xx answer
  local out code
  out=$(curl -sS --max-time 10 -X "$1" -w '\n%{http_code}' \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "http://127.0.0.1:$CP_PORT$2") || die "admin API $1 $2 unreachable"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $code == 2* ]] || die "admin API $1 $2 answered $code: $out"
  printf '%s' "$out"
}

# The control plane on the throw-away database, a client key bound to a provider group whose one
# provider key is the stub, then the data plane (which loads that config at start).
setup_dp() {
  ADMIN_TOKEN=$(random_token)
  local internal_token user_id group_id key_json client_key
  internal_token=$(random_token)
  start cp "$RUN_DIR/cp.log" env QUARKUS_HTTP_PORT="$CP_PORT" \
    TOLLGATE_DB_URL="jdbc:postgresql://127.0.0.1:5432/$BENCH_DB" \
    TOLLGATE_DB_USER=tollgate TOLLGATE_DB_PASSWORD=tollgate \
    TOLLGATE_ADMIN_TOKEN="$ADMIN_TOKEN" TOLLGATE_INTERNAL_TOKEN="$internal_token" \
    TOLLGATE_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64 -w 0)" \
    "${SERVER_PREFIX[@]}" java "${JOPTS[@]}" -jar "$CP_JAR"
  wait_ready cp "http://127.0.0.1:$CP_PORT/q/health/ready"

  # Ids are inserted as the JSON values the API returned (numbers or strings alike).
  # Limits far above what the benchmark sends: nothing is refused, but every request goes through
  # the limiter (RPM of key, user and group, concurrency of key and user, TPM of the key) in Redis.
  # The provider key's fixed concurrency limit too: an adaptive one starts at 10 in flight and would
  # refuse the saturation run's extra connections with 429 rather than measure them.
  user_id=$(admin POST /admin/v1/users \
    '{"name":"bench","rpm_limit":2000000000,"concurrency_limit":100000}' | jq -c .id)
  group_id=$(admin POST /admin/v1/provider-groups \
    '{"name":"bench-openai","platform":"openai","models":["gpt-4o-mini"]}' | jq -c .id)
  admin POST /admin/v1/provider-keys "$(jq -nc --argjson g "$group_id" \
    --arg url "http://127.0.0.1:$STUB_PORT/v1" --arg s "$UPSTREAM_SECRET" \
    '{group_id: $g, base_url: $url, secret: $s, max_concurrent: 1000}')" >/dev/null
  key_json=$(admin POST /admin/v1/keys "$(jq -nc --argjson u "$user_id" --argjson g "$group_id" \
    '{user_id: $u, name: "bench", group_ids: [$g], rpm_limit: 2000000000,
      concurrency_limit: 100000, tpm_limit: 2000000000}')")
  DP_KEY_ID=$(jq -r .id <<<"$key_json")
  client_key=$(jq -r .key <<<"$key_json")
  [[ $client_key == tg-* ]] || die "the admin API returned no client key: $key_json"

  # Not pinned, like PostgreSQL: in production Redis runs on machines of its own.
  start redis "$RUN_DIR/redis.log" redis-server --port "$REDIS_PORT" \
    --bind 127.0.0.1 --save '' --appendonly no
  until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do
    kill -0 "${PIDS[redis]}" 2>/dev/null || die "redis-server exited (log: $RUN_DIR/redis.log)"
    sleep 0.1
  done
  start dp "$RUN_DIR/dp.log" env QUARKUS_HTTP_PORT="$DP_PORT" \
    TOLLGATE_CONTROL_PLANE="127.0.0.1:$CP_PORT" TOLLGATE_INTERNAL_TOKEN="$internal_token" \
    TOLLGATE_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    "${SERVER_PREFIX[@]}" java "${JOPTS[@]}" -jar "$DP_JAR"
  wait_ready dp "http://127.0.0.1:$DP_PORT/q/health/ready"
  TARGET_URL[dp]=http://127.0.0.1:$DP_PORT/v1/chat/completions
  TARGET_AUTH[dp]="Bearer $client_key"
}

is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }
for v in "duration=$DURATION" "warmup=$WARMUP" "settle=$SETTLE" "rate=$RATE" "connections=$CONNECTIONS"; do
  is_number "${v#*=}" || die "--${v%%=*} must be a number, got: ${v#*=}"
done
[[ $PIN == split || $PIN == none ]] || die "--pin must be split or none, got: $PIN"
read -r -a TARGET_LIST <<<"$TARGETS"
((${#TARGET_LIST[@]} > 0)) || die "--targets is empty"
for t in "${TARGET_LIST[@]}"; do
  declare -F "setup_$t" >/dev/null ||
    die "unknown target $t (known: $(declare -F | sed -n 's/^declare -f setup_//p' | xargs))"
done
wants() { [[ " $TARGETS " == *" $1 "* ]]; }

for tool in java curl jq; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required (apt-get install ${tool/java/default-jdk-headless})"
done
if wants dp; then
  command -v redis-server >/dev/null 2>&1 || die "redis-server is required (apt-get install redis-server)"
fi
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
if wants nginx && [[ ! -x $NGINX_BIN ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "nginx is missing: installing it (apt-get install -y nginx)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; } >&2 ||
      die "could not install nginx; install it yourself (sudo apt-get install -y nginx) or leave it out with --targets \"direct dp\""
    NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
  else
    die "nginx is required for the nginx target: sudo apt-get install -y nginx (or leave it out with --targets \"direct dp\")"
  fi
fi

# One benchmark at a time on this machine: two would share ports, the database and, worst, the
# CPUs, and both would measure the other. Any bench/ script may take the same lock (flock) to wait
# for this one.
readonly LOCK_FILE=${TMPDIR:-/tmp}/tollgate-bench.lock
exec 8>>"$LOCK_FILE"
if ! flock -n 8; then
  log "another benchmark holds $LOCK_FILE; waiting up to 10 minutes for it"
  flock -w 600 8 || die "another benchmark still holds $LOCK_FILE after 10 minutes"
fi

port_taken() { timeout 2 bash -c ">/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
for p in "BENCH_STUB_PORT=$STUB_PORT" "BENCH_CP_PORT=$CP_PORT" "BENCH_DP_PORT=$DP_PORT" \
  "BENCH_NGINX_PORT=$NGINX_PORT" "BENCH_REDIS_PORT=$REDIS_PORT"; do
  if port_taken "${p#*=}"; then
    die "port ${p#*=} is already in use: stop that process or set ${p%%=*}=<port>"
  fi
done

# --- build -------------------------------------------------------------------------------------

cd "$ROOT"
modules=()
if [[ $REBUILD == true || ! -f $STUB_JAR ]]; then modules+=(bench/stub-upstream); fi
if [[ $REBUILD == true || ! -f $LOADGEN_JAR ]]; then modules+=(bench/loadgen); fi
if wants dp && [[ $REBUILD == true || ! -f $CP_JAR ]]; then modules+=(control-plane); fi
if wants dp && [[ $REBUILD == true || ! -f $DP_JAR ]]; then modules+=(data-plane); fi
if ((${#modules[@]} > 0)); then
  list=$(IFS=,; echo "${modules[*]}")
  log "building $list (./mvnw -B -q -DskipTests -pl $list -am package)"
  ./mvnw -B -q -DskipTests -pl "$list" -am package ||
    die "the build failed (see above); '--targets direct' measures the stub alone without the planes"
fi
jars=("$STUB_JAR" "$LOADGEN_JAR")
if wants dp; then jars+=("$CP_JAR" "$DP_JAR"); fi
for jar in "${jars[@]}"; do
  [[ -f $jar ]] || die "the build did not produce $jar"
done

# --- snapshot ----------------------------------------------------------------------------------

RUN_DIR=$ROOT/.tollgate/bench/dp-overhead-$(date -u +%Y%m%dT%H%M%SZ)
readonly RUN_DIR
mkdir -p "$RUN_DIR/apps"
readonly RESULTS=$RUN_DIR/results.jsonl
# Others rebuild these jars in a shared checkout at any time; a JVM whose lib/ is replaced under it
# fails mid-run. So the run uses copies (removed on exit).
snapshot() { # name jar -> path of the copied jar; copies the jar's directory (its lib/ with it)
  cp -a "$(dirname "$2")" "$RUN_DIR/apps/$1" && printf '%s' "$RUN_DIR/apps/$1/$(basename "$2")"
}
STUB_JAR=$(snapshot stub "$STUB_JAR")
LOADGEN_JAR=$(snapshot loadgen "$LOADGEN_JAR")
if wants dp; then
  CP_JAR=$(snapshot cp "$CP_JAR")
  DP_JAR=$(snapshot dp "$DP_JAR")
fi

# --- CPU pinning -------------------------------------------------------------------------------

LOADGEN_CMD=(java -Xms256m -Xmx256m -jar "$LOADGEN_JAR")
SERVER_PREFIX=()
if [[ $PIN == split ]]; then
  command -v taskset >/dev/null 2>&1 || die "--pin split needs taskset (apt-get install util-linux), or use --pin none"
  LOADGEN_CMD=(taskset -c "$LOADGEN_CPUS" "${LOADGEN_CMD[@]}")
  SERVER_PREFIX=(taskset -c "$SERVER_CPUS")
  PIN_NOTE="load generator on CPU $LOADGEN_CPUS; stub, CP and DP share CPU $SERVER_CPUS; \
PostgreSQL and Redis are not pinned"
else
  PIN_NOTE="not pinned: load generator, stub, CP and DP share all $(nproc) CPUs"
fi

# --- processes and cleanup ---------------------------------------------------------------------

declare -A PIDS=()
STARTED=()
DB_CREATED=false
STOPPING=false

stop_all() {
  [[ $STOPPING == true ]] && return
  STOPPING=true
  trap - INT TERM
  local i name
  # Reverse start order: the DP stops (and flushes) before the CP it flushes to.
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    name=${STARTED[i]}
    stop_process "$name" "${PIDS[$name]}" "$STOP_TIMEOUT"
  done
  if [[ $DB_CREATED == true ]]; then
    admin_psql -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 ||
      log "could not drop database $BENCH_DB"
  fi
  rm -rf "$RUN_DIR/apps"
  if ((${#STARTED[@]} > 0)); then log "stopped ${STARTED[*]}; logs and results in $RUN_DIR"; fi
}
trap 'stop_all' EXIT
trap 'echo >&2; exit 130' INT
trap 'exit 143' TERM

start() { # name logfile command...
  local name=$1 logfile=$2
  shift 2
  # 8>&-: a server must not hold the benchmark lock.
  "$@" >"$logfile" 2>&1 8>&- &
  PIDS[$name]=$!
  STARTED+=("$name")
}

wait_ready() { # name url [header]
  local name=$1 url=$2 deadline=$((SECONDS + START_TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 ${3:+-H "$3"} "$url" 2>/dev/null; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      tail -n 30 "$RUN_DIR/$name.log" >&2 || true
      die "$name exited before it was ready (log: $RUN_DIR/$name.log)"
    fi
    ((SECONDS < deadline)) || die "$name not ready at $url within ${START_TIMEOUT}s (log: $RUN_DIR/$name.log)"
    sleep 0.3
  done
}

random_token() { head -c 32 /dev/urandom | base64 -w 0 | tr -d '=' | tr '+/' '-_'; }

# --- PostgreSQL and Redis ------------------------------------------------------------------------

# SQL as a role that may create databases: role tollgate itself when it has CREATEDB, else the
# postgres OS user (peer auth, Debian's default), else role postgres over loopback when the server
# trusts it.
PSQL_ADMIN=()
pick_admin_psql() {
  local -a tries=("env PGPASSWORD=tollgate psql -X -q -v ON_ERROR_STOP=1 -w -h 127.0.0.1 -U tollgate -d tollgate"
    "runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres"
    "psql -X -q -v ON_ERROR_STOP=1 -w -h 127.0.0.1 -U postgres -d postgres")
  local try
  for try in "${tries[@]}"; do
    read -r -a PSQL_ADMIN <<<"$try"
    if [[ "$(cd / && "${PSQL_ADMIN[@]}" -Atc \
      'SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user' \
      </dev/null 2>/dev/null)" == t ]]; then
      return 0
    fi
  done
  die "no PostgreSQL role here may create $BENCH_DB (tried tollgate, OS user postgres, role \
postgres); create it yourself: CREATE DATABASE $BENCH_DB OWNER tollgate"
}
admin_psql() { (cd / && "${PSQL_ADMIN[@]}" "$@" </dev/null); }

if wants dp; then
  [[ -x $ROOT/scripts/services.sh ]] ||
    die "scripts/services.sh is missing: it starts PostgreSQL and Redis, which the planes need \
(or measure the stub alone with --targets direct)"
  # 8>&-: a PostgreSQL or Redis it starts lives on and must not hold the benchmark lock.
  "$ROOT/scripts/services.sh" 2>"$RUN_DIR/services.log" 8>&- ||
    { cat "$RUN_DIR/services.log" >&2; die "scripts/services.sh failed"; }
  pick_admin_psql
  admin_psql -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1
  admin_psql -c "CREATE DATABASE $BENCH_DB OWNER tollgate" >/dev/null ||
    die "could not create database $BENCH_DB"
  DB_CREATED=true
fi

# --- servers -----------------------------------------------------------------------------------

UPSTREAM_SECRET="sk-bench-$(random_token)"
readonly UPSTREAM_SECRET
# One event loop per CPU the stub may use.
if [[ $PIN == split ]]; then
  STUB_LOOPS=$(taskset -c "$SERVER_CPUS" nproc)
else
  STUB_LOOPS=$(nproc)
fi
read -r -a JOPTS <<<"${JAVA_OPTS:-}"
start stub "$RUN_DIR/stub.log" env STUB_PORT="$STUB_PORT" STUB_EVENT_LOOPS="$STUB_LOOPS" \
  STUB_API_KEY="$UPSTREAM_SECRET" "${SERVER_PREFIX[@]}" java "${JOPTS[@]}" -jar "$STUB_JAR"
# The stub checks the provider secret the DP must send, so it is probed with that secret.
deadline=$((SECONDS + START_TIMEOUT))
until curl -fsS -o /dev/null --max-time 2 -H "Authorization: Bearer $UPSTREAM_SECRET" \
  "http://127.0.0.1:$STUB_PORT/v1/models" 2>/dev/null; do
  kill -0 "${PIDS[stub]}" 2>/dev/null || die "the stub exited (log: $RUN_DIR/stub.log)"
  ((SECONDS < deadline)) || die "the stub did not answer within ${START_TIMEOUT}s"
  sleep 0.2
done

# --- start the targets ---------------------------------------------------------------------------

for t in "${TARGET_LIST[@]}"; do
  "setup_$t"
done

# --- the requests ------------------------------------------------------------------------------

readonly BODY_JSON=$RUN_DIR/chat.json BODY_STREAM=$RUN_DIR/chat-stream.json
printf '%s\n' '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello to the benchmark."}],"max_tokens":16}' >"$BODY_JSON"
printf '%s\n' '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello to the benchmark."}],"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}' >"$BODY_STREAM"

# Every target must answer the request before it is measured (the DP also proves here that its
# config replica has the new key, which may take a moment after start).
for t in "${TARGET_LIST[@]}"; do
  deadline=$((SECONDS + 15))
  until code=$(curl -sS -o "$RUN_DIR/probe-$t.out" -w '%{http_code}' --max-time 5 \
    -H "Authorization: ${TARGET_AUTH[$t]}" -H 'Content-Type: application/json' \
    --data @"$BODY_JSON" "${TARGET_URL[$t]}") && [[ $code == 2* ]]; do
    ((SECONDS < deadline)) ||
      die "$t answers ${code:-nothing}: $(head -c 300 "$RUN_DIR/probe-$t.out" 2>/dev/null)"
    sleep 0.5
  done
done
# The one successful probe is metered like any other request.
ANSWERED_DP=$(wants dp && echo 1 || echo 0)
UNANSWERED_DP=0

# --- measure -----------------------------------------------------------------------------------

loadgen() { # target scenario [loadgen options...]; appends the JSON line to $RESULTS
  local target=$1 scenario=$2 out rc=0
  shift 2
  out=$("${LOADGEN_CMD[@]}" --url "${TARGET_URL[$target]}" -H "Authorization: ${TARGET_AUTH[$target]}" \
    --label "$target" --scenario "$scenario" "$@" 2>>"$RUN_DIR/loadgen.err") || rc=$?
  ((rc <= 1)) || die "the load generator failed (exit $rc): $(tail -n 5 "$RUN_DIR/loadgen.err")"
  if [[ $target == dp ]]; then
    ANSWERED_DP=$((ANSWERED_DP + $(head -n 1 <<<"$out" | jq -r .answered_total)))
    UNANSWERED_DP=$((UNANSWERED_DP + $(head -n 1 <<<"$out" | jq -r '.sent_total - .answered_total')))
  fi
  printf '%s\n' "$out" | sed -n 2p >&2
  head -n 1 <<<"$out"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "Tollgate DP overhead, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average before: $LOAD_BEFORE"
  echo "pinning: $PIN_NOTE"
  if wants dp; then
    echo "jars: CP built $(date -u -r "$CP_JAR" +%H:%M:%SZ), DP built $(date -u -r "$DP_JAR" +%H:%M:%SZ) (working tree, maybe past the commit above)"
  fi
  echo "load: fixed $RATE req/s (open loop) and saturation with $CONNECTIONS connections (closed loop),"
  echo "      ${DURATION}s measured each after ${SETTLE}s settling; ${WARMUP}s saturation warm-up per target"
} | tee "$RUN_DIR/header.txt" >&2

for t in "${TARGET_LIST[@]}"; do
  # A cold JVM on one CPU compiles while it serves: without this the first scenario would measure
  # the JIT. Both request paths (plain and streaming) get their share.
  log "$t: warm-up, ${WARMUP}s at saturation (discarded)"
  if [[ $STREAM == true ]]; then
    half=$(awk -v w="$WARMUP" 'BEGIN { print w / 2 }')
    loadgen "$t" warmup --body-file "$BODY_JSON" --mode saturation --connections "$CONNECTIONS" \
      --warmup 0 --duration "$half" >/dev/null
    loadgen "$t" warmup-stream --body-file "$BODY_STREAM" --mode saturation \
      --connections "$CONNECTIONS" --warmup 0 --duration "$half" >/dev/null
  else
    loadgen "$t" warmup --body-file "$BODY_JSON" --mode saturation --connections "$CONNECTIONS" \
      --warmup 0 --duration "$WARMUP" >/dev/null
  fi
  loadgen "$t" "fixed $RATE/s, json" --body-file "$BODY_JSON" --mode fixed --rate "$RATE" \
    --warmup "$SETTLE" --duration "$DURATION" >>"$RESULTS"
  loadgen "$t" "saturation $CONNECTIONS conns, json" --body-file "$BODY_JSON" --mode saturation \
    --connections "$CONNECTIONS" --warmup "$SETTLE" --duration "$DURATION" >>"$RESULTS"
  if [[ $STREAM == true ]]; then
    loadgen "$t" "fixed $RATE/s, stream" --body-file "$BODY_STREAM" --mode fixed --rate "$RATE" \
      --warmup "$SETTLE" --duration "$DURATION" --expect-tail 'data: [DONE]' >>"$RESULTS"
  fi
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo
  cat "$RUN_DIR/header.txt"
  echo "load average after: $LOAD_AFTER"
  echo
  "${LOADGEN_CMD[@]}" table "$RESULTS"
} | tee "$RUN_DIR/table.txt"

# --- metering check ----------------------------------------------------------------------------

# The DP ran with metering on: once it has flushed, the CP's counter for the bench key must equal
# every request the DP answered (warm-up and settling included). A request the load generator gave
# up on (timeout) may or may not have reached the DP, so then the counts may differ by that many.
if wants dp; then
  deadline=$((SECONDS + 20))
  counted=
  while ((SECONDS < deadline)); do
    counted=$(admin GET "/admin/v1/keys/$DP_KEY_ID" | jq -r '.requests // empty') || true
    [[ $counted == "$ANSWERED_DP" ]] && break
    sleep 1
  done
  # Whether the limits really were checked in Redis: requests the fail mode decided because Redis
  # did not answer in time (TOLLGATE_REDIS_TIMEOUT) were admitted without it.
  metrics=$(curl -fsS --max-time 5 "http://127.0.0.1:$DP_PORT/q/metrics" 2>/dev/null) || metrics=
  unchecked=$(awk '/^tollgate_ratelimit_redis_unavailable_total/ { s += $2 } END { printf "%d", s }' <<<"$metrics")
  batches=$(awk '/^tollgate_ratelimit_batch_size_count/ { c += $2 } /^tollgate_ratelimit_batch_size_sum/ { s += $2 }
    END { if (c > 0) printf "%d calls, %.1f requests per call", c, s / c; else printf "none" }' <<<"$metrics")
  echo "limits: Redis script calls: $batches; requests the fail mode decided (Redis too slow): ${unchecked:-?}" |
    tee -a "$RUN_DIR/table.txt"
  verdict=$([[ $counted == "$ANSWERED_DP" ]] && echo "equal" || echo "DIFFERENT")
  echo "metering: the CP counted ${counted:-?} requests for the bench key; the DP answered $ANSWERED_DP ($verdict)\
$( ((UNANSWERED_DP > 0)) && echo "; $UNANSWERED_DP more got no answer")" | tee -a "$RUN_DIR/table.txt"
fi
