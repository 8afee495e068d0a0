#!/usr/bin/env bash
# Runs the two images scripts/images.sh built, the way the manifests in k8s/ run them, but with no
# container runtime (podman installs here but cannot start a container in this sandbox: crun
# cannot set rlimits):
#   each image's layers are unpacked into a root filesystem that is then bind-mounted read-only,
#   with a tmpfs on /tmp (the manifests' emptyDir), /proc and /dev; the image config's Entrypoint,
#   Env and WorkingDir run there as its User, in a PID namespace of its own, so java is PID 1
#   as in a pod. The control plane uses a database of its own on the local PostgreSQL (created
#   and dropped here); the data plane loads its configuration from that control plane and uses
#   the local Redis. Both must answer their readiness probe (path and port from the manifests),
#   and stop within the manifests' terminationGracePeriodSeconds on SIGTERM.
# Needs root (mount, chroot, unshare), target/images/*.oci.tar, PostgreSQL and Redis on loopback
# (scripts/services.sh). Not part of scripts/test.sh: it needs the images, which need the base.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly OUT=target/images
readonly RUN=$OUT/run
readonly DB=tollgate_images_run
readonly START_TIMEOUT=${TOLLGATE_START_TIMEOUT:-180}

log() { printf 'images-run: %s\n' "$*" >&2; }
die() {
  printf 'images-run: ERROR: %s\n' "$*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "needs root (mount, chroot, unshare)"
for plane in control-plane data-plane; do
  [[ -f $OUT/$plane.oci.tar ]] || die "$OUT/$plane.oci.tar is missing (scripts/images.sh builds it)"
done
for tool in jq yq curl psql unshare chroot; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done

declare -A PIDS=()
psql_admin() { PGPASSWORD=tollgate psql -X -w -q -h 127.0.0.1 -U tollgate -d postgres -v ON_ERROR_STOP=1 -c "$1"; }
cleanup() {
  local plane
  for plane in "${!PIDS[@]}"; do
    kill -KILL "${PIDS[$plane]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$RUN"
  psql_admin "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    ss -Htln "sport = :$port" | grep -q . || {
      echo "$port"
      return
    }
  done
}

# unpack PLANE: the image's layers, in order, into $RUN/PLANE/root; its config in $RUN/PLANE/config.json
unpack() {
  local plane=$1 dir=$RUN/$1 manifest digest
  mkdir -p "$dir/layout" "$dir/root"
  tar -C "$dir/layout" -xf "$OUT/$plane.oci.tar"
  manifest=$dir/layout/blobs/sha256/$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$dir/layout/index.json")
  for digest in $(jq -r '.layers[].digest | sub("sha256:"; "")' "$manifest"); do
    tar -C "$dir/root" --numeric-owner -xzf "$dir/layout/blobs/sha256/$digest"
  done
  cp "$dir/layout/blobs/sha256/$(jq -r '.config.digest | sub("sha256:"; "")' "$manifest")" "$dir/config.json"
  rm -rf "$dir/layout"
}

# start PLANE NAME=VALUE...: the image's entrypoint as its user, root read-only, java as PID 1.
start() {
  local plane=$1 dir=$RUN/$1
  shift
  local user workdir
  user=$(jq -r .config.User "$dir/config.json")
  workdir=$(jq -r .config.WorkingDir "$dir/config.json")
  local -a env entrypoint
  mapfile -t env < <(jq -r '.config.Env[]' "$dir/config.json")
  mapfile -t entrypoint < <(jq -r '.config.Entrypoint[]' "$dir/config.json")
  local root
  root=$(realpath "$dir/root")
  # The mounts live in the new mount namespace only and vanish with it.
  unshare --pid --fork --mount --kill-child -- /bin/sh -ec '
    root=$1; user=$2; workdir=$3; shift 3
    mount --bind "$root" "$root"
    mount -o remount,bind,ro "$root"
    mount -t tmpfs -o mode=1777,size=256m tmpfs "$root/tmp"
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot --userspec="$user" "$root" /usr/bin/env -i -C "$workdir" "$@"
  ' sh "$root" "$user" "$workdir" "${env[@]}" "$@" "${entrypoint[@]}" >"$dir.log" 2>&1 &
  PIDS[$plane]=$!
}

wait_ready() { # plane url
  local plane=$1 url=$2 deadline=$((SECONDS + START_TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! kill -0 "${PIDS[$plane]}" 2>/dev/null; then
      tail -n 40 "$RUN/$plane.log" >&2
      die "$plane exited during start-up"
    fi
    ((SECONDS < deadline)) || {
      tail -n 40 "$RUN/$plane.log" >&2
      die "$plane was not ready at $url within ${START_TIMEOUT}s"
    }
    sleep 1
  done
  log "$plane is ready ($url)"
}

# stop PLANE: SIGTERM to the java that is PID 1 of the plane's namespace; it must exit within the
# Deployment's terminationGracePeriodSeconds.
stop() {
  local plane=$1 grace java deadline
  grace=$(yq -r 'select(.kind == "Deployment") | .spec.template.spec.terminationGracePeriodSeconds' k8s/[0-9]*.Deployment."$plane".yaml)
  java=$(ps -o pid= --ppid "${PIDS[$plane]}" | tr -d ' ')
  [[ -n $java ]] || die "$plane: no process under unshare"
  [[ $(ps -o comm= -p "$java") == java ]] || die "$plane: PID 1 of the container is $(ps -o comm= -p "$java"), not java"
  kill -TERM "$java"
  deadline=$((SECONDS + grace))
  while kill -0 "$java" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  kill -0 "$java" 2>/dev/null && die "$plane did not stop within ${grace}s of SIGTERM"
  wait "${PIDS[$plane]}" 2>/dev/null || true
  unset "PIDS[$plane]"
  log "$plane stopped on SIGTERM within ${grace}s"
}

env_of() { # plane NAME: a literal env value of the Deployment
  yq -r --arg n "$2" 'select(.kind == "Deployment") | .spec.template.spec.containers[0].env[] | select(.name == $n) | .value' \
    k8s/[0-9]*.Deployment."$1".yaml
}
probe_path() { # plane probe
  yq -r "select(.kind == \"Deployment\") | .spec.template.spec.containers[0].$2.httpGet.path" k8s/[0-9]*.Deployment."$1".yaml
}

rm -rf "$RUN"
mkdir -p "$RUN"
log "unpacking the images"
unpack control-plane
unpack data-plane

psql_admin "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
psql_admin "CREATE DATABASE $DB OWNER tollgate" >/dev/null
internal_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cp_port=$(free_port)
dp_port=$(free_port)

# The HTTP ports are the images' own (8080, 8081) in a pod; here they share the host's network,
# so they move to free ports. gRPC between the planes is plaintext on the CP's HTTP port here (the
# manifests' mutual TLS needs certificates this run does not make).
log "starting the control plane (port $cp_port)"
start control-plane QUARKUS_HTTP_PORT="$cp_port" \
  TOLLGATE_DB_URL="jdbc:postgresql://127.0.0.1:5432/$DB" TOLLGATE_DB_USER=tollgate TOLLGATE_DB_PASSWORD=tollgate \
  TOLLGATE_ADMIN_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  TOLLGATE_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)" TOLLGATE_INTERNAL_TOKEN="$internal_token" \
  JAVA_OPTS_APPEND="$(env_of control-plane JAVA_OPTS_APPEND)"
wait_ready control-plane "http://127.0.0.1:$cp_port$(probe_path control-plane readinessProbe)"

log "starting the data plane (port $dp_port)"
start data-plane QUARKUS_HTTP_PORT="$dp_port" TOLLGATE_CONTROL_PLANE="127.0.0.1:$cp_port" \
  TOLLGATE_INTERNAL_TOKEN="$internal_token" TOLLGATE_REDIS_URL=redis://127.0.0.1:6379 \
  TOLLGATE_FLUSH_INTERVAL="$(env_of data-plane TOLLGATE_FLUSH_INTERVAL)" \
  JAVA_OPTS_APPEND="$(env_of data-plane JAVA_OPTS_APPEND)"
wait_ready data-plane "http://127.0.0.1:$dp_port$(probe_path data-plane readinessProbe)"
curl -fsS -o /dev/null "http://127.0.0.1:$dp_port$(probe_path data-plane livenessProbe)" ||
  die "data-plane: liveness probe failed"

# The entrypoint passed JAVA_OPTS_APPEND to java (the manifests size the heap with it).
dp_java=$(ps -o pid= --ppid "${PIDS[data-plane]}" | tr -d ' ')
tr '\0' ' ' <"/proc/$dp_java/cmdline" | grep -q -- "$(env_of data-plane JAVA_OPTS_APPEND)" ||
  die "data-plane: java runs without JAVA_OPTS_APPEND: $(tr '\0' ' ' <"/proc/$dp_java/cmdline")"
[[ $(stat -c %u "/proc/$dp_java") == "$(jq -r '.config.User | split(":")[0]' "$RUN/data-plane/config.json")" ]] ||
  die "data-plane: java does not run as the image's user"

stop data-plane
stop control-plane
log "both images ran: read-only root, /tmp only, uid $(jq -r .config.User "$RUN/data-plane/config.json"), ready, stopped on SIGTERM"
