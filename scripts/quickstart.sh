#!/usr/bin/env bash
# Starts the whole gateway on this machine: PostgreSQL and Redis (scripts/services.sh), a stub
# OpenAI-compatible upstream, the control plane and the data plane; creates a demo user, provider
# group, provider key and client key through the admin API; prints curls to try it; and stays in
# the foreground until Ctrl-C, when it stops the three processes (the data plane first, so that its
# final flush reaches the control plane).
#
# State lives in .tollgate/ (gitignored): env (generated secrets, reused on the next run so that the
# provider secrets stored in the database stay decryptable), demo.env (ids of the demo objects and
# the last demo key) and logs/<run time>/ (each run's logs; logs/latest is the newest, the 10
# newest runs are kept).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly STATE_DIR=$ROOT/.tollgate
readonly LOG_ROOT=$STATE_DIR/logs
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
readonly RUN_ID
readonly LOG_DIR=$LOG_ROOT/$RUN_ID
readonly LOG_REL=.tollgate/logs/$RUN_ID
readonly KEPT_RUNS=10
readonly ENV_FILE=$STATE_DIR/env
readonly DEMO_FILE=$STATE_DIR/demo.env

readonly CP_JAR=$ROOT/control-plane/target/quarkus-app/quarkus-run.jar
readonly DP_JAR=$ROOT/data-plane/target/quarkus-app/quarkus-run.jar
readonly STUB_JAR=$ROOT/bench/stub-upstream/target/stub-upstream.jar

CP_PORT=${CP_PORT:-8080}
DP_PORT=${DP_PORT:-8081}
STUB_PORT=${STUB_PORT:-9090}
# Bounded waits (seconds).
readonly START_TIMEOUT=${START_TIMEOUT:-90}
readonly STOP_TIMEOUT=60

log() { printf 'quickstart: %s\n' "$*" >&2; }
# shellcheck source=scripts/lib/processes.sh
. "$ROOT/scripts/lib/processes.sh"
die() {
  printf 'quickstart: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Usage: scripts/quickstart.sh [--rebuild] [--reset]

Starts PostgreSQL, Redis, a stub upstream (:9090), the control plane (:8080) and the data plane
(:8081), creates a demo key and prints curls to try it. Ctrl-C stops everything it started.

  --rebuild   build the jars even when they look up to date (./mvnw -B -q -DskipTests package;
              they are built anyway when missing or older than a source file)
  --reset     drop and recreate the local database tollgate first (all its keys and counters)

Environment: CP_PORT, DP_PORT, STUB_PORT move the three processes to other ports;
START_TIMEOUT (seconds, default 90) bounds each wait for readiness; JAVA_OPTS is passed to java.
Secrets are generated once into .tollgate/env; each run's logs go to .tollgate/logs/<UTC time>/
(.tollgate/logs/latest is the newest; the 10 newest runs are kept).
EOF
}

REBUILD=false RESET=false
for arg in "$@"; do
  case $arg in
    --rebuild) REBUILD=true ;;
    --reset) RESET=true ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

for tool in java curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required (apt-get install ${tool/java/default-jdk-headless})"
done

port_taken() { timeout 2 bash -c ">/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

for p in "CP_PORT=$CP_PORT" "DP_PORT=$DP_PORT" "STUB_PORT=$STUB_PORT"; do
  if port_taken "${p#*=}"; then
    owner=$(ss -Hltnp "sport = :${p#*=}" 2>/dev/null | grep -o 'users:(.*)' | head -n 1 || true)
    die "port ${p#*=} is already in use${owner:+ ($owner)}: stop that process, or choose another \
port with ${p%%=*}=<port> scripts/quickstart.sh"
  fi
done

cd "$ROOT"
"$ROOT/scripts/services.sh"

# --- build -------------------------------------------------------------------------------------

# Jars older than any source or POM would run yesterday's code: rebuild them too.
stale_jars() {
  local jar
  for jar in "$CP_JAR" "$DP_JAR" "$STUB_JAR"; do
    [[ -f $jar ]] || return 0
    [[ -z "$(find pom.xml proto control-plane data-plane bench/stub-upstream -path '*/target' -prune \
      -o -type f -newer "$jar" -print -quit)" ]] || return 0
  done
  return 1
}
if [[ $REBUILD == true ]] || stale_jars; then
  log "building the jars (./mvnw -B -q -DskipTests package; a first build downloads dependencies)"
  ./mvnw -B -q -DskipTests package || die "the build failed (see above)"
fi
for jar in "$CP_JAR" "$DP_JAR" "$STUB_JAR"; do
  [[ -f $jar ]] || die "the build did not produce $jar"
done

# --- secrets -----------------------------------------------------------------------------------

random_base64() { # bytes
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -base64 "$1"
  else
    head -c "$1" /dev/urandom | base64 -w 0
    echo
  fi
}
random_token() { random_base64 32 | tr -d '\n=' | tr '+/' '-_'; }

mkdir -p "$LOG_DIR"
chmod 700 "$STATE_DIR"
# A new folder per run keeps the previous runs' logs (what happened before a restart is often the
# question); the oldest beyond KEPT_RUNS go.
ln -sfn "$RUN_ID" "$LOG_ROOT/latest"
find "$LOG_ROOT" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort | head -n "-$KEPT_RUNS" |
  xargs -r rm -rf
NEW_ENCRYPTION_KEY=true
grep -qs '^TOLLGATE_ENCRYPTION_KEY=' "$ENV_FILE" && NEW_ENCRYPTION_KEY=false
(
  umask 077
  touch "$ENV_FILE"
  # Only missing entries are added: the encryption key must stay the one that encrypted the
  # provider secrets already in the database.
  add_missing() { grep -q "^$1=" "$ENV_FILE" || printf '%s=%s\n' "$1" "$2" >>"$ENV_FILE"; }
  add_missing TOLLGATE_ADMIN_TOKEN "$(random_token)"
  add_missing TOLLGATE_ENCRYPTION_KEY "$(random_base64 32)"
  add_missing TOLLGATE_INTERNAL_TOKEN "$(random_token)"
  add_missing TOLLGATE_DB_URL "jdbc:postgresql://127.0.0.1:5432/tollgate"
  add_missing TOLLGATE_DB_USER tollgate
  add_missing TOLLGATE_DB_PASSWORD tollgate
  add_missing TOLLGATE_REDIS_URL "redis://127.0.0.1:6379"
  # The stub upstream checks this bearer token, so the demo exercises provider-secret decryption.
  add_missing DEMO_UPSTREAM_SECRET "sk-demo-$(random_token | head -c 24)"
)
set -a
# shellcheck source=/dev/null
. "$ENV_FILE"
set +a

readonly LOCAL_DB_URL=jdbc:postgresql://127.0.0.1:5432/tollgate
local_psql() { # database sql
  PGPASSWORD=$TOLLGATE_DB_PASSWORD psql -X -w -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 \
    -U "$TOLLGATE_DB_USER" -d "$1" -Atc "$2" </dev/null
}

if [[ $RESET == true ]]; then
  [[ $TOLLGATE_DB_URL == "$LOCAL_DB_URL" ]] ||
    die "--reset only drops the local database $LOCAL_DB_URL; .tollgate/env points at $TOLLGATE_DB_URL"
  log "dropping and recreating the database tollgate"
  local_psql postgres 'DROP DATABASE IF EXISTS tollgate WITH (FORCE)' ||
    die "could not drop the database tollgate (is a control plane still connected?)"
  rm -f "$DEMO_FILE"
  "$ROOT/scripts/services.sh"
elif [[ $NEW_ENCRYPTION_KEY == true && $TOLLGATE_DB_URL == "$LOCAL_DB_URL" ]] &&
  [[ "$(local_psql tollgate 'SELECT 1 FROM provider_key LIMIT 1' 2>/dev/null)" == 1 ]]; then
  # Its provider secrets were encrypted with a key this new .tollgate/env does not have.
  die "the database tollgate already holds provider keys encrypted with an encryption key that \
.tollgate/env does not have (it was just generated). Restore the old .tollgate/env, or start from \
an empty database with: scripts/quickstart.sh --reset"
fi

# --- processes ---------------------------------------------------------------------------------

declare -A PIDS=()
STOPPING=false

stop_all() {
  [[ $STOPPING == true ]] && return
  STOPPING=true
  trap - INT TERM
  local name pid
  # Data plane first: on SIGTERM it finishes in-flight requests and flushes to the control plane.
  for name in data-plane control-plane stub-upstream; do
    pid=${PIDS[$name]:-}
    if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
    log "stopping $name (pid $pid)"
    stop_process "$name" "$pid" "$STOP_TIMEOUT"
  done
}
trap 'stop_all' EXIT
trap 'echo >&2; exit 130' INT
trap 'exit 143' TERM

start() { # name command...
  local name=$1
  shift
  log "starting $name (log $LOG_REL/$name.log)"
  # Background jobs of a script ignore SIGINT, so Ctrl-C reaches only this script, whose trap then
  # stops them in order with SIGTERM.
  "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
  PIDS[$name]=$!
}

# shellcheck disable=SC2086 # JAVA_OPTS is a list of options.
java_cmd() { echo java ${JAVA_OPTS:-}; }

wait_ready() { # name url
  local name=$1 url=$2 deadline=$((SECONDS + START_TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up (full log: $LOG_REL/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name was not ready at $url within ${START_TIMEOUT}s (full log: $LOG_REL/$name.log)"
    fi
    sleep 0.5
  done
  log "$name is ready"
}

read -r -a JAVA <<<"$(java_cmd)"

start stub-upstream env STUB_PORT="$STUB_PORT" STUB_API_KEY="$DEMO_UPSTREAM_SECRET" \
  "${JAVA[@]}" -jar "$STUB_JAR"
start control-plane env QUARKUS_HTTP_PORT="$CP_PORT" "${JAVA[@]}" -jar "$CP_JAR"
wait_ready control-plane "http://127.0.0.1:$CP_PORT/q/health/ready"
start data-plane env QUARKUS_HTTP_PORT="$DP_PORT" TOLLGATE_CONTROL_PLANE="127.0.0.1:$CP_PORT" \
  "${JAVA[@]}" -jar "$DP_JAR"
# The stub has no health endpoint; an answer of any status means it listens.
deadline=$((SECONDS + START_TIMEOUT))
until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$STUB_PORT/v1/models"; do
  kill -0 "${PIDS[stub-upstream]}" 2>/dev/null || {
    tail -n 30 "$LOG_DIR/stub-upstream.log" >&2
    die "stub-upstream exited during start-up"
  }
  ((SECONDS < deadline)) || die "stub-upstream did not listen on :$STUB_PORT within ${START_TIMEOUT}s"
  sleep 0.3
done
wait_ready data-plane "http://127.0.0.1:$DP_PORT/q/health/ready"

# --- demo objects ------------------------------------------------------------------------------

readonly CP_URL=http://127.0.0.1:$CP_PORT DP_URL=http://127.0.0.1:$DP_PORT
readonly UPSTREAM_URL=http://127.0.0.1:$STUB_PORT/v1

admin() { # method path [json] -> prints the body; fails unless 2xx
  local method=$1 path=$2 body=${3:-} out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 -X "$method" "$CP_URL$path" \
    -H "Authorization: Bearer $TOLLGATE_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    ${body:+--data "$body"}) || status=000
  cat "$out"
  rm -f "$out"
  [[ $status == 2?? ]] || {
    printf '\n(%s %s -> HTTP %s)\n' "$method" "$path" "$status" >&2
    return 1
  }
}

json_field() { # field < json
  if command -v jq >/dev/null 2>&1; then
    jq -r --arg f "$1" '.[$f] // empty'
  else
    # Top-level fields come first in the admin API's answers; good enough without jq.
    grep -o "\"$1\"[[:space:]]*:[[:space:]]*\(\"[^\"]*\"\|[0-9]*\)" | head -n 1 | sed 's/.*:[[:space:]]*//; s/"//g'
  fi
}

# The demo serves every endpoint of the API surface: an OpenAI group with chat and embedding
# models, and an Anthropic group for /v1/messages, each with one provider key pointing at the stub.
readonly OPENAI_MODELS='["gpt-4o-mini","gpt-4o","text-embedding-3-small"]'
readonly ANTHROPIC_MODELS='["claude-sonnet-4-5","claude-haiku-4-5"]'

DEMO_USER_ID="" DEMO_GROUP_ID="" DEMO_PROVIDER_KEY_ID="" DEMO_UPSTREAM_URL=""
DEMO_ANTHROPIC_GROUP_ID="" DEMO_ANTHROPIC_PROVIDER_KEY_ID=""
# shellcheck source=/dev/null
[[ -f $DEMO_FILE ]] && . "$DEMO_FILE"

if [[ -z $DEMO_USER_ID ]] || ! admin GET "/admin/v1/users/$DEMO_USER_ID" >/dev/null 2>&1; then
  log "creating the demo user"
  DEMO_USER_ID=$(admin POST /admin/v1/users "{\"name\":\"demo\"}" | json_field id) ||
    die "could not create the demo user"
fi

# ensure_demo_group GROUP_VAR PROVIDER_KEY_VAR PLATFORM MODELS_JSON
# Reuses the group and provider key of an earlier run when they still exist and point at this stub
# (setting the group's models, so a demo made by an older quickstart gains the new ones); otherwise
# creates them (group names are unique, hence the suffix).
ensure_demo_group() {
  local group_var=$1 key_var=$2 platform=$3 models=$4 group key
  group=${!group_var} key=${!key_var}
  if [[ -n $group && -n $key && $DEMO_UPSTREAM_URL == "$UPSTREAM_URL" ]] &&
    admin GET "/admin/v1/provider-groups/$group" >/dev/null 2>&1 &&
    admin GET "/admin/v1/provider-keys/$key" >/dev/null 2>&1; then
    admin PATCH "/admin/v1/provider-groups/$group" "{\"models\":$models}" >/dev/null ||
      die "could not update the demo $platform group's models"
    return
  fi
  log "creating the demo $platform provider group and provider key"
  group=$(admin POST /admin/v1/provider-groups \
    "{\"name\":\"demo-$platform-$(date -u +%Y%m%d%H%M%S)\",\"platform\":\"$platform\",\"models\":$models}" |
    json_field id) || die "could not create the demo $platform provider group"
  # base_url is written as the SDKs write it, with /v1, for Anthropic too: the data plane appends
  # /chat/completions, /embeddings, /messages, …
  key=$(admin POST /admin/v1/provider-keys \
    "{\"group_id\":$group,\"base_url\":\"$UPSTREAM_URL\",\"secret\":\"$DEMO_UPSTREAM_SECRET\"}" |
    json_field id) || die "could not create the demo $platform provider key"
  printf -v "$group_var" '%s' "$group"
  printf -v "$key_var" '%s' "$key"
}
ensure_demo_group DEMO_GROUP_ID DEMO_PROVIDER_KEY_ID openai "$OPENAI_MODELS"
ensure_demo_group DEMO_ANTHROPIC_GROUP_ID DEMO_ANTHROPIC_PROVIDER_KEY_ID anthropic "$ANTHROPIC_MODELS"
DEMO_UPSTREAM_URL=$UPSTREAM_URL
[[ -n $DEMO_USER_ID && -n $DEMO_GROUP_ID && -n $DEMO_PROVIDER_KEY_ID && -n $DEMO_ANTHROPIC_GROUP_ID &&
  -n $DEMO_ANTHROPIC_PROVIDER_KEY_ID ]] ||
  die "the admin API answered without ids (see $LOG_REL/control-plane.log)"

key_json=$(admin POST /admin/v1/keys \
  "{\"user_id\":$DEMO_USER_ID,\"name\":\"demo $(date -u +%FT%TZ)\",\"group_ids\":[$DEMO_GROUP_ID,$DEMO_ANTHROPIC_GROUP_ID]}") ||
  die "could not create the demo client key"
DEMO_KEY_ID=$(json_field id <<<"$key_json")
DEMO_KEY=$(json_field key <<<"$key_json")
[[ -n $DEMO_KEY_ID && $DEMO_KEY == tg-* ]] || die "unexpected answer creating the demo key: $key_json"

(
  umask 077
  cat >"$DEMO_FILE" <<EOF
DEMO_USER_ID=$DEMO_USER_ID
DEMO_GROUP_ID=$DEMO_GROUP_ID
DEMO_PROVIDER_KEY_ID=$DEMO_PROVIDER_KEY_ID
DEMO_UPSTREAM_URL=$DEMO_UPSTREAM_URL
DEMO_ANTHROPIC_GROUP_ID=$DEMO_ANTHROPIC_GROUP_ID
DEMO_ANTHROPIC_PROVIDER_KEY_ID=$DEMO_ANTHROPIC_PROVIDER_KEY_ID
DEMO_KEY_ID=$DEMO_KEY_ID
DEMO_KEY=$DEMO_KEY
EOF
)

# A new key reaches the data plane over the config stream; wait until it is accepted.
deadline=$((SECONDS + 30))
until curl -fs -o /dev/null --max-time 2 "$DP_URL/v1/models" -H "Authorization: Bearer $DEMO_KEY"; do
  ((SECONDS < deadline)) || die "the data plane did not accept the new demo key within 30s \
(see $LOG_REL/data-plane.log)"
  sleep 0.3
done

cat <<EOF

Tollgate is running:
  data plane     $DP_URL   (logs in $LOG_REL/)
  control plane  $CP_URL
  stub upstream  $UPSTREAM_URL

Demo client key (also in .tollgate/demo.env): $DEMO_KEY

SDK settings (the key works with both):
  OpenAI SDKs     base URL $DP_URL/v1   models gpt-4o-mini, gpt-4o, text-embedding-3-small
  Anthropic SDKs  base URL $DP_URL      (no /v1: the SDK adds /v1/messages)
                  models claude-sonnet-4-5, claude-haiku-4-5

Chat completion through the data plane:

  curl -sS $DP_URL/v1/chat/completions \\
    -H 'Authorization: Bearer $DEMO_KEY' -H 'Content-Type: application/json' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello, Tollgate"}]}'

Streaming:

  curl -sSN $DP_URL/v1/chat/completions \\
    -H 'Authorization: Bearer $DEMO_KEY' -H 'Content-Type: application/json' \\
    -d '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello, Tollgate"}]}'

Embeddings, Responses and Anthropic Messages:

  curl -sS $DP_URL/v1/embeddings -H 'Authorization: Bearer $DEMO_KEY' \\
    -H 'Content-Type: application/json' -d '{"model":"text-embedding-3-small","input":"Hello, Tollgate"}'
  curl -sS $DP_URL/v1/responses -H 'Authorization: Bearer $DEMO_KEY' \\
    -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini","input":"Hello, Tollgate"}'
  curl -sS $DP_URL/v1/messages -H 'x-api-key: $DEMO_KEY' -H 'anthropic-version: 2023-06-01' \\
    -H 'Content-Type: application/json' \\
    -d '{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello, Tollgate"}]}'

The key's counters (flushed from the data plane every ${TOLLGATE_FLUSH_INTERVAL:-5s}):

  curl -sS $CP_URL/admin/v1/keys/$DEMO_KEY_ID -H 'Authorization: Bearer $TOLLGATE_ADMIN_TOKEN'

The operators' console (this link signs in with the admin token: keep it to yourself):

  $CP_URL/console/sign-in#token=$TOLLGATE_ADMIN_TOKEN

Press Ctrl-C to stop.
EOF

# Stay in the foreground; if one of the three dies, say so and stop the others.
while true; do
  for name in stub-upstream control-plane data-plane; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      tail -n 20 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited unexpectedly (log: $LOG_REL/$name.log)"
    fi
  done
  sleep 1
done
