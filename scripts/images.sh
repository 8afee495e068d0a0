#!/usr/bin/env bash
# Builds the control plane's and the data plane's container images as OCI archives, with no
# container daemon and no image registry (nothing is pulled):
#   target/images/control-plane.oci.tar   target/images/data-plane.oci.tar
#
# Each image has four layers, the ones that change least first:
#   1. base: Debian bookworm (debootstrap --variant=minbase) with openjdk-17-jre-headless and the
#      unprivileged user tollgate (uid/gid 185), made from the Debian mirror apt uses. Built once
#      and cached in .tollgate/images/ (building it needs root and the mirror); --rebuild-base
#      makes it again (e.g. for Debian's security updates).
#   2. libraries: the Quarkus fast-jar's lib/boot and lib/main, under /deployments.
#   3. application: quarkus-run.jar and app/ (the plane's own classes), under /deployments.
#   4. quarkus: quarkus/ (the bytecode Quarkus generates and transforms at build time).
# The entrypoint runs `java $JAVA_OPTS $JAVA_OPTS_APPEND -jar /deployments/quarkus-run.jar` as
# uid 185, java being PID 1 (SIGTERM reaches it: the data plane's final flush depends on that).
# Nothing in the image needs to be written except /tmp, which the manifests mount as an emptyDir,
# so the root filesystem can be read-only.
#
# Names and tags: the `images:` entries of k8s/kustomization.yaml (newName:newTag) for the image
# each Deployment names; change them there and this script builds what the cluster will pull.
#
# Reproducible: every time stamp in layers 2-4, in the config and in the archive is
# SOURCE_DATE_EPOCH (default: the commit time of HEAD), owners are 0:0, modes normalised and
# entries sorted, so the same fast-jars give the same image digest. The jars themselves carry
# project.build.outputTimestamp (pom.xml), so two Maven builds of one commit give the same
# libraries and application layers; Quarkus 3.34 does not yet generate quarkus/generated-
# bytecode.jar in the same order every time (its build steps run in parallel), which is why that
# directory is a layer of its own, last.
# scripts/images-check.sh checks the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly PLANES=(control-plane data-plane)
readonly OUT=target/images
readonly CACHE=.tollgate/images
readonly SUITE=bookworm
readonly JRE_PACKAGE=openjdk-17-jre-headless
readonly JAVA_HOME_IN_IMAGE=/usr/lib/jvm/java-17-openjdk-amd64
readonly APP_UID=185 APP_USER=tollgate
readonly APP_DIR=deployments
# The recipe of layer 1; a change here makes a new cache entry instead of reusing a stale one.
readonly BASE_RECIPE="suite=$SUITE variant=minbase packages=$JRE_PACKAGE,ca-certificates uid=$APP_UID user=$APP_USER v1"

log() { printf 'images: %s\n' "$*" >&2; }
die() {
  printf 'images: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Usage: scripts/images.sh [--skip-maven] [--rebuild-base] [--base-only] [-- MAVEN_ARGS...]

Builds target/images/control-plane.oci.tar and target/images/data-plane.oci.tar.
  --skip-maven     use the fast-jars already in */target/quarkus-app (default: package them first,
                   ./mvnw package -DskipTests -pl control-plane,data-plane -am, plus MAVEN_ARGS)
  --rebuild-base   build the Debian base layer again even when .tollgate/images/ has it
  --base-only      only make sure the base layer is built and cached
Environment:
  SOURCE_DATE_EPOCH        time stamp of everything in the app layers (default: HEAD's commit time)
  TOLLGATE_DEBIAN_MIRROR   Debian mirror for the base (default: the one in /etc/apt/sources.list*)
  TOLLGATE_DEBIAN_SECURITY_MIRROR   same for bookworm-security
  TOLLGATE_IMAGE_SOURCE    the org.opencontainers.image.source label (default: git remote origin)
EOF
}

skip_maven=false rebuild_base=false base_only=false
maven_args=()
while (($# > 0)); do
  case $1 in
    --skip-maven) skip_maven=true ;;
    --rebuild-base) rebuild_base=true ;;
    --base-only) base_only=true ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      maven_args=("$@")
      break
      ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
  shift
done

for tool in jq yq tar gzip sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install jq yq tar gzip coreutils)"
done
[[ $(uname -m) == x86_64 ]] || die "only amd64 images are built (this machine is $(uname -m))"

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Writes a reproducible layer from a directory: entries sorted, named without "./", every time
# stamp clamped to $2 (forced when $3 is "normalise", which also sets owner 0:0 and modes
# u=rwX,go=rX), no atime/ctime. Prints "<digest of the .tar.gz> <diff id> <size>", and leaves the
# blob in $4.
write_layer() { # dir epoch mode blob
  local dir=$1 epoch=$2 mode=$3 blob=$4
  local -a opts=(--no-recursion --null -T - --format=posix
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
    --numeric-owner --mtime="@$epoch")
  if [[ $mode == normalise ]]; then
    opts+=(--owner=0 --group=0 --mode=u=rwX,go=rX)
  else
    opts+=(--clamp-mtime)
  fi
  local raw=$blob.raw
  (cd "$dir" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) |
    tar -C "$dir" -cf "$raw" "${opts[@]}"
  local diff_id
  diff_id=$(sha256 "$raw")
  gzip -n -6 <"$raw" >"$blob"
  rm -f "$raw"
  printf '%s %s %s\n' "$(sha256 "$blob")" "$diff_id" "$(stat -c %s "$blob")"
}

# The Debian mirror apt uses here (deb822 .sources or one-line .list), unless given.
debian_mirror() { # debian | debian-security
  local archive=$1
  grep -rhoE "(URIs:|deb)[[:space:]]+[a-z]+://[^[:space:]]+/$archive/?([[:space:]]|$)" \
    /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
    awk '{print $2}' | sed 's,/$,,' | head -n1
}

build_base() { # cache_dir
  local dir=$1
  [[ $(id -u) -eq 0 ]] || die "building the Debian base needs root (debootstrap, chroot); run as root once"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "apt-get install debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  local mirror=${TOLLGATE_DEBIAN_MIRROR:-$(debian_mirror debian)}
  local security=${TOLLGATE_DEBIAN_SECURITY_MIRROR:-$(debian_mirror debian-security)}
  [[ -n $mirror ]] || die "no Debian mirror found in /etc/apt/sources.list*; set TOLLGATE_DEBIAN_MIRROR"
  local work rootfs
  work=$(mktemp -d "$CACHE/build.XXXXXX")
  rootfs=$work/rootfs
  # Unmount /proc and remove the half-made tree however this ends.
  trap 'umount "'"$rootfs"'/proc" 2>/dev/null || true; rm -rf "'"$work"'"' EXIT

  log "debootstrap $SUITE from $mirror (a few minutes)"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see the log: $(tail -n 5 "$work/debootstrap.log")"

  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    [[ -z $security ]] || echo "deb $security $SUITE-security main"
  } >"$rootfs/etc/apt/sources.list"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  mount -t proc proc "$rootfs/proc"
  log "installing $JRE_PACKAGE (with $SUITE-updates and -security)"
  chroot "$rootfs" /bin/sh -ec "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get upgrade -y -qq
    apt-get install -y -qq --no-install-recommends $JRE_PACKAGE ca-certificates
    groupadd --system --gid $APP_UID $APP_USER
    useradd --system --uid $APP_UID --gid $APP_UID --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin $APP_USER
    apt-get clean
  " >"$work/apt.log" 2>&1 || die "installing the JRE failed: $(tail -n 5 "$work/apt.log")"
  chroot "$rootfs" dpkg-query -W -f '${Package} ${Version}\n' >"$work/packages.txt"
  chroot "$rootfs" java -version >"$work/java-version.txt" 2>&1 || die "java does not run in the base"
  umount "$rootfs/proc"

  # What a runtime provides (/etc/resolv.conf, hosts, hostname, /dev, /proc), caches, logs with
  # time stamps, and documentation nobody reads in a container; copyright files stay.
  rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname" "$rootfs/etc/machine-id"
  : >"$rootfs/etc/hosts"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* \
    "$rootfs"/usr/share/man "$rootfs"/usr/share/info "$rootfs"/usr/share/locale
  find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
  find "$rootfs/dev" "$rootfs/proc" "$rootfs/sys" "$rootfs/run" -mindepth 1 -delete 2>/dev/null || true
  chmod 1777 "$rootfs/tmp"

  local epoch
  epoch=$(date +%s)
  log "packing the base layer"
  read -r digest diff_id size < <(write_layer "$rootfs" "$epoch" keep "$work/layer.tar.gz")
  jq -n -c --arg digest "sha256:$digest" --arg diff "sha256:$diff_id" --argjson size "$size" \
    --arg created "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" --arg mirror "$mirror" \
    --arg recipe "$BASE_RECIPE" --arg java "$(head -n1 "$work/java-version.txt")" \
    '{digest: $digest, diff_id: $diff, size: $size, created: $created, mirror: $mirror,
      recipe: $recipe, java: $java}' >"$work/base.json"
  rm -rf "$rootfs"
  rm -rf "$dir"
  mv "$work" "$dir"
  trap - EXIT
  log "base cached in $dir ($(jq -r .java "$dir/base.json"); $((size / 1024 / 1024)) MiB compressed)"
}

mkdir -p "$CACHE"
base_dir=$CACHE/base-$(printf '%s' "$BASE_RECIPE" | sha256sum | cut -c1-16)
if [[ $rebuild_base == true || ! -f $base_dir/base.json ]]; then
  build_base "$base_dir"
else
  log "base from $base_dir ($(jq -r .java "$base_dir/base.json"))"
fi
[[ $base_only == false ]] || exit 0

if [[ $skip_maven == false ]]; then
  log "packaging the fast-jars"
  ./mvnw -B -q --no-transfer-progress -pl control-plane,data-plane -am package -DskipTests \
    "${maven_args[@]}"
fi

readonly EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
[[ $EPOCH =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be seconds since 1970, not '$EPOCH'"
readonly CREATED=$(date -u -d "@$EPOCH" +%Y-%m-%dT%H:%M:%SZ)
readonly REVISION=$(git rev-parse HEAD)
git diff --quiet HEAD -- || log "WARNING: uncommitted changes; the images are labelled $REVISION all the same"
readonly VERSION=$(sed -n 's,^  <version>\(.*\)</version>$,\1,p' pom.xml | head -n1)
[[ -n $VERSION ]] || die "no <version> in pom.xml"
readonly SOURCE=${TOLLGATE_IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo https://github.com/tollgate/tollgate)}

# The name and tag the kustomization gives the image the plane's Deployment names.
image_ref() { # plane
  local plane=$1 manifest name ref
  manifest=$(ls k8s/[0-9]*.Deployment."$plane".yaml)
  name=$(yq -r 'select(.kind == "Deployment") | .spec.template.spec.containers[0].image' "$manifest")
  name=${name%:*}
  ref=$(yq -r --arg n "$name" '.images[]? | select(.name == $n) | "\(.newName // .name):\(.newTag)"' \
    k8s/kustomization.yaml)
  [[ -n $ref && $ref != *:null ]] ||
    die "k8s/kustomization.yaml has no images: entry with name $name and a newTag"
  printf '%s\n' "$ref"
}

# The ports the plane's Deployment declares, as the image's ExposedPorts.
exposed_ports() { # plane
  yq -c 'select(.kind == "Deployment") | .spec.template.spec.containers[0].ports
    | map({key: "\(.containerPort)/\(.protocol // "TCP" | ascii_downcase)", value: {}}) | from_entries' \
    k8s/[0-9]*.Deployment."$1".yaml
}

build_image() { # plane
  local plane=$1 app=$1/target/quarkus-app
  [[ -f $app/quarkus-run.jar ]] || die "$app/quarkus-run.jar is missing (run without --skip-maven)"
  local ref work layout
  ref=$(image_ref "$plane")
  work=$OUT/work/$plane
  layout=$work/layout
  rm -rf "$work"
  mkdir -p "$layout/blobs/sha256" "$work/libs/$APP_DIR/lib" "$work/app/$APP_DIR" "$work/quarkus/$APP_DIR"
  cp -r "$app/lib/boot" "$app/lib/main" "$work/libs/$APP_DIR/lib/"
  cp -r "$app/quarkus-run.jar" "$app/app" "$work/app/$APP_DIR/"
  cp -r "$app/quarkus" "$work/quarkus/$APP_DIR/"

  local base_digest base_diff base_size
  base_digest=$(jq -r .digest "$base_dir/base.json")
  base_diff=$(jq -r .diff_id "$base_dir/base.json")
  base_size=$(jq -r .size "$base_dir/base.json")
  cp "$base_dir/layer.tar.gz" "$layout/blobs/sha256/${base_digest#sha256:}"
  local libs_digest libs_diff libs_size app_digest app_diff app_size
  read -r libs_digest libs_diff libs_size < <(write_layer "$work/libs" "$EPOCH" normalise "$work/libs.tar.gz")
  mv "$work/libs.tar.gz" "$layout/blobs/sha256/$libs_digest"
  read -r app_digest app_diff app_size < <(write_layer "$work/app" "$EPOCH" normalise "$work/app.tar.gz")
  mv "$work/app.tar.gz" "$layout/blobs/sha256/$app_digest"
  local gen_digest gen_diff gen_size
  read -r gen_digest gen_diff gen_size < <(write_layer "$work/quarkus" "$EPOCH" normalise "$work/quarkus.tar.gz")
  mv "$work/quarkus.tar.gz" "$layout/blobs/sha256/$gen_digest"

  local labels config config_digest manifest manifest_digest
  labels=$(jq -n -c --arg source "$SOURCE" --arg revision "$REVISION" --arg version "$VERSION" \
    --arg created "$CREATED" --arg title "tollgate-$plane" --arg ref "$ref" \
    --arg base "debian:$SUITE (debootstrap) + $JRE_PACKAGE" \
    '{"org.opencontainers.image.source": $source, "org.opencontainers.image.revision": $revision,
      "org.opencontainers.image.version": $version, "org.opencontainers.image.created": $created,
      "org.opencontainers.image.title": $title, "org.opencontainers.image.ref.name": $ref,
      "org.opencontainers.image.base.name": $base}')
  config=$work/config.json
  jq -n -c --arg created "$CREATED" --arg user "$APP_UID:$APP_UID" \
    --arg java_home "$JAVA_HOME_IN_IMAGE" --arg dir "/$APP_DIR" \
    --argjson ports "$(exposed_ports "$plane")" --argjson labels "$labels" \
    --arg base_diff "$base_diff" --arg libs_diff "sha256:$libs_diff" --arg app_diff "sha256:$app_diff" \
    --arg gen_diff "sha256:$gen_diff" \
    --arg base_created "$(jq -r .created "$base_dir/base.json")" --arg plane "$plane" \
    '{created: $created, architecture: "amd64", os: "linux",
      config: {User: $user, ExposedPorts: $ports,
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "JAVA_HOME=\($java_home)", "LANG=C.UTF-8"],
        Entrypoint: ["/bin/sh", "-c",
          "exec java $JAVA_OPTS $JAVA_OPTS_APPEND -jar \($dir)/quarkus-run.jar \"$@\"", "tollgate"],
        WorkingDir: $dir, Labels: $labels, StopSignal: "SIGTERM"},
      rootfs: {type: "layers", diff_ids: [$base_diff, $libs_diff, $app_diff, $gen_diff]},
      history: [
        {created: $base_created, created_by: "debootstrap --variant=minbase bookworm; apt-get install openjdk-17-jre-headless; useradd tollgate (uid 185)"},
        {created: $created, created_by: "scripts/images.sh: \($plane)/target/quarkus-app/lib -> \($dir)/lib"},
        {created: $created, created_by: "scripts/images.sh: \($plane)/target/quarkus-app/{quarkus-run.jar,app} -> \($dir)"},
        {created: $created, created_by: "scripts/images.sh: \($plane)/target/quarkus-app/quarkus -> \($dir)/quarkus"}]}' \
    >"$config"
  config_digest=$(sha256 "$config")
  mv "$config" "$layout/blobs/sha256/$config_digest"

  manifest=$work/manifest.json
  jq -n -c --arg config "sha256:$config_digest" \
    --argjson config_size "$(stat -c %s "$layout/blobs/sha256/$config_digest")" \
    --arg base "$base_digest" --argjson base_size "$base_size" \
    --arg libs "sha256:$libs_digest" --argjson libs_size "$libs_size" \
    --arg app "sha256:$app_digest" --argjson app_size "$app_size" --argjson labels "$labels" \
    --arg gen "sha256:$gen_digest" --argjson gen_size "$gen_size" \
    'def layer($d; $s): {mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s};
     {schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $config, size: $config_size},
      layers: [layer($base; $base_size), layer($libs; $libs_size), layer($app; $app_size), layer($gen; $gen_size)],
      annotations: ($labels | with_entries(select(.key != "org.opencontainers.image.ref.name")))}' \
    >"$manifest"
  manifest_digest=$(sha256 "$manifest")
  local manifest_size
  manifest_size=$(stat -c %s "$manifest")
  mv "$manifest" "$layout/blobs/sha256/$manifest_digest"

  # The tag as ref.name (skopeo and podman address oci-archive:FILE:TAG by it); the full name
  # for tools that import with it (containerd).
  jq -n -c --arg digest "sha256:$manifest_digest" --argjson size "$manifest_size" \
    --arg tag "${ref##*:}" --arg ref "$ref" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $digest, size: $size,
        annotations: {"org.opencontainers.image.ref.name": $tag, "io.containerd.image.name": $ref}}]}' \
    >"$layout/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"

  local archive=$OUT/$plane.oci.tar
  (cd "$layout" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) |
    tar -C "$layout" -cf "$archive.tmp" --no-recursion --null -T - --format=posix \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
      --numeric-owner --owner=0 --group=0 --mode=u=rwX,go=rX --mtime="@$EPOCH"
  mv "$archive.tmp" "$archive"
  rm -rf "$work"
  log "$archive  $ref  manifest sha256:$manifest_digest"
  log "  layers: base $base_digest, libraries sha256:$libs_digest, application sha256:$app_digest, quarkus sha256:$gen_digest"
}

mkdir -p "$OUT"
for plane in "${PLANES[@]}"; do
  build_image "$plane"
done
rmdir "$OUT/work" 2>/dev/null || true
