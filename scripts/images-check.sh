#!/usr/bin/env bash
# Checks the container images scripts/images.sh builds against the manifests in k8s/ that run
# them, so that what the cluster pulls is what the Deployments expect:
#   manifests (always; needs only the repository): each plane's Deployment names an image that
#     k8s/kustomization.yaml's images: renames (registry and tag set there); runs as a numeric
#     non-root uid with a read-only root filesystem and /tmp on an emptyDir; its probes are
#     /q/health/* on a declared port, and the HTTP port is the plane's quarkus.http.port;
#   archives (when target/images/<plane>.oci.tar exists, or always with --require-images): a valid
#     OCI layout whose blobs match their digests and sizes; the config's user is the Deployment's
#     runAsUser:runAsGroup and exists in the base's /etc/passwd; the entrypoint runs the fast-jar
#     that the application layer holds, with a java the base holds; the exposed ports are the
#     Deployment's container ports; the labels name the source, this commit and the pom's
#     version; the index names the image as the kustomization does; nothing but /tmp is writable
#     by the user. With skopeo installed, skopeo also reads and copies the archive.
#   --reproducible: builds the images (scripts/images.sh), checks them, builds them again from the
#     same fast-jars (the same manifest digest required), then packages and builds once more (the
#     base, libraries and application layers must not change; the quarkus/ layer is reported).
# Exit status 0 only if every check passed; each failure is printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly PLANES=(control-plane data-plane)
readonly OUT=target/images
readonly APP_JAR=/deployments/quarkus-run.jar

require_images=false reproducible=false
while (($# > 0)); do
  case $1 in
    --require-images) require_images=true ;;
    --reproducible) reproducible=true require_images=true ;;
    -h | --help)
      sed -n '2,18p' "$0" | sed 's|^# \{0,1\}||'
      exit 0
      ;;
    *)
      echo "images-check: unknown argument: $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

for tool in jq yq tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "images-check: ERROR: $tool is missing (apt-get install jq yq)" >&2
    exit 2
  }
done

passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'images-check: FAIL %s\n' "$*" >&2
}
# check DESCRIPTION EXPECTED ACTUAL
check() {
  if [[ $2 == "$3" ]]; then
    pass
  else
    fail "$1: expected '$2', got '$3'"
  fi
}

deployment() { ls k8s/[0-9]*.Deployment."$1".yaml; }
# yq over the plane's Deployment (the file also holds its Service, PDB, …).
dq() { yq -r "select(.kind == \"Deployment\") | $2" "$(deployment "$1")"; }

check_manifests() { # plane
  local plane=$1 image name ref
  image=$(dq "$plane" '.spec.template.spec.containers[0].image')
  name=${image%:*}
  ref=$(yq -r --arg n "$name" '.images[]? | select(.name == $n) | "\(.newName // .name):\(.newTag)"' \
    k8s/kustomization.yaml)
  [[ -n $ref && $ref != *:null ]] && pass ||
    fail "$plane: k8s/kustomization.yaml has no images: entry (name $name, newName, newTag) for the Deployment's image"

  local uid gid
  uid=$(dq "$plane" '.spec.template.spec.securityContext.runAsUser')
  gid=$(dq "$plane" '.spec.template.spec.securityContext.runAsGroup')
  [[ $uid =~ ^[1-9][0-9]*$ && $gid =~ ^[0-9]+$ ]] && pass ||
    fail "$plane: the pod's runAsUser/runAsGroup must be numeric and non-root (got $uid:$gid)"
  check "$plane: runAsNonRoot" true "$(dq "$plane" '.spec.template.spec.securityContext.runAsNonRoot')"
  check "$plane: readOnlyRootFilesystem" true \
    "$(dq "$plane" '.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem')"
  local tmp_volume
  tmp_volume=$(dq "$plane" '.spec.template.spec.containers[0].volumeMounts[] | select(.mountPath == "/tmp") | .name')
  [[ -n $tmp_volume && $(dq "$plane" ".spec.template.spec.volumes[] | select(.name == \"$tmp_volume\") | has(\"emptyDir\")") == true ]] &&
    pass || fail "$plane: /tmp must be an emptyDir volume (the JVM and Vert.x write there)"

  # Probes: HTTP GETs of the SmallRye Health endpoints on a port the container declares, and that
  # port is the one the application listens on (quarkus.http.port of the plane).
  local http_port probe
  http_port=$(sed -n 's,^quarkus\.http\.port=\([0-9]*\)$,\1,p' "$plane/src/main/resources/application.properties")
  [[ -n $http_port ]] || fail "$plane: no quarkus.http.port in application.properties"
  for probe in startupProbe livenessProbe readinessProbe; do
    local path port number
    path=$(dq "$plane" ".spec.template.spec.containers[0].$probe.httpGet.path")
    port=$(dq "$plane" ".spec.template.spec.containers[0].$probe.httpGet.port")
    [[ $path == /q/health/live || $path == /q/health/ready || $path == /q/health/started ]] && pass ||
      fail "$plane: $probe path $path is not a SmallRye Health endpoint"
    if [[ $port =~ ^[0-9]+$ ]]; then
      number=$port
    else
      number=$(dq "$plane" ".spec.template.spec.containers[0].ports[] | select(.name == \"$port\") | .containerPort")
    fi
    check "$plane: $probe port ($port) is quarkus.http.port" "$http_port" "$number"
  done
  grep -q '<artifactId>quarkus-smallrye-health</artifactId>' "$plane/pom.xml" && pass ||
    fail "$plane: the probes need quarkus-smallrye-health in $plane/pom.xml"
  check "$plane: the Service's http port targets the container's" "http" \
    "$(yq -r 'select(.kind == "Service") | .spec.ports[] | select(.name == "http") | .targetPort' "$(deployment "$plane")")"
  # The control plane's gRPC TLS port: the container port named grpc is the one it is told to use.
  if [[ $plane == control-plane ]]; then
    check "$plane: containerPort grpc is TOLLGATE_GRPC_TLS_PORT" \
      "$(dq "$plane" '.spec.template.spec.containers[0].env[] | select(.name == "TOLLGATE_GRPC_TLS_PORT") | .value')" \
      "$(dq "$plane" '.spec.template.spec.containers[0].ports[] | select(.name == "grpc") | .containerPort')"
  fi
}

# Reads blob $2 (sha256:…) of the extracted layout $1.
blob() { printf '%s/blobs/sha256/%s' "$1" "${2#sha256:}"; }

check_archive() { # plane
  local plane=$1 archive=$OUT/$1.oci.tar
  local dir
  dir=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the directory of this plane
  trap "rm -rf '$dir'" RETURN
  tar -C "$dir" -xf "$archive" || {
    fail "$plane: $archive is not a tar archive"
    return
  }
  check "$plane: oci-layout version" 1.0.0 "$(jq -r .imageLayoutVersion "$dir/oci-layout")"
  check "$plane: manifests in index.json" 1 "$(jq '.manifests | length' "$dir/index.json")"

  # Every blob is what its name says, and every descriptor's size is right.
  local f
  for f in "$dir"/blobs/sha256/*; do
    check "$plane: digest of blob ${f##*/}" "${f##*/}" "$(sha256sum "$f" | cut -d' ' -f1)"
  done
  local manifest config
  manifest=$(blob "$dir" "$(jq -r '.manifests[0].digest' "$dir/index.json")")
  check "$plane: manifest size" "$(jq -r '.manifests[0].size' "$dir/index.json")" "$(stat -c %s "$manifest")"
  config=$(blob "$dir" "$(jq -r .config.digest "$manifest")")
  check "$plane: config size" "$(jq -r .config.size "$manifest")" "$(stat -c %s "$config")"
  check "$plane: config media type" application/vnd.oci.image.config.v1+json "$(jq -r .config.mediaType "$manifest")"
  local layers
  layers=$(jq -r '.layers | length' "$manifest")
  check "$plane: layers in the manifest = diff_ids in the config" "$layers" "$(jq '.rootfs.diff_ids | length' "$config")"
  local i
  for ((i = 0; i < layers; i++)); do
    local layer
    layer=$(blob "$dir" "$(jq -r ".layers[$i].digest" "$manifest")")
    check "$plane: layer $i size" "$(jq -r ".layers[$i].size" "$manifest")" "$(stat -c %s "$layer")"
    check "$plane: layer $i diff_id" "$(jq -r ".rootfs.diff_ids[$i]" "$config")" \
      "sha256:$(gzip -dc "$layer" | sha256sum | cut -d' ' -f1)"
    gzip -dc "$layer" | tar -tvf - --numeric-owner >"$dir/layer$i.list"
  done

  # The name the kustomization gives the image.
  local image name ref
  image=$(dq "$plane" '.spec.template.spec.containers[0].image')
  name=${image%:*}
  ref=$(yq -r --arg n "$name" '.images[]? | select(.name == $n) | "\(.newName // .name):\(.newTag)"' \
    k8s/kustomization.yaml)
  check "$plane: image name in index.json" "$ref" \
    "$(jq -r '.manifests[0].annotations["io.containerd.image.name"]' "$dir/index.json")"
  check "$plane: tag in index.json" "${ref##*:}" \
    "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$dir/index.json")"

  # User: numeric, the Deployment's, and known to the base.
  local uid gid
  uid=$(dq "$plane" '.spec.template.spec.securityContext.runAsUser')
  gid=$(dq "$plane" '.spec.template.spec.securityContext.runAsGroup')
  check "$plane: config user" "$uid:$gid" "$(jq -r .config.User "$config")"
  gzip -dc "$(blob "$dir" "$(jq -r '.layers[0].digest' "$manifest")")" | tar -xf - -O etc/passwd >"$dir/passwd"
  awk -F: -v uid="$uid" '$3 == uid && $4 == "'"$gid"'" {found = 1} END {exit !found}' "$dir/passwd" && pass ||
    fail "$plane: the base's /etc/passwd has no user $uid:$gid"

  # Entrypoint: java (from the base) running the fast-jar (from the application layer), as PID 1.
  local entrypoint
  entrypoint=$(jq -r '.config.Entrypoint | join(" ")' "$config")
  [[ $entrypoint == *"exec java "*"-jar $APP_JAR"* ]] && pass ||
    fail "$plane: entrypoint does not exec java -jar $APP_JAR: $entrypoint"
  cat "$dir"/layer[1-9]*.list | grep -qE "^-.* ${APP_JAR#/}\$" && pass ||
    fail "$plane: no application layer holds $APP_JAR"
  grep -qE ' usr/bin/java -> ' "$dir/layer0.list" && pass || fail "$plane: the base has no usr/bin/java"
  grep -qE "^-.* deployments/lib/main/io\.quarkus\.quarkus-smallrye-health-[^/]*\.jar\$" "$dir"/layer*.list && pass ||
    fail "$plane: the image lacks quarkus-smallrye-health (the probes' endpoints)"
  check "$plane: working directory" /deployments "$(jq -r .config.WorkingDir "$config")"

  # Read-only root: the app's files belong to root and are not writable by others; /tmp (the
  # emptyDir) is the only place the user writes.
  local writable
  writable=$(cat "$dir"/layer[1-9]*.list | awk '$2 !~ /^0\/0$/ || $1 ~ /^.{8}w/' | head -n 3)
  [[ -z $writable ]] && pass || fail "$plane: application files not root-owned or world-writable: $writable"

  # Ports: exactly the Deployment's container ports.
  check "$plane: exposed ports" \
    "$(dq "$plane" '[.spec.template.spec.containers[0].ports[] | "\(.containerPort)/\(.protocol // "TCP" | ascii_downcase)"] | sort | join(",")')" \
    "$(jq -r '.config.ExposedPorts | keys | sort | join(",")' "$config")"

  # Labels.
  local label
  for label in source revision version created; do
    [[ -n $(jq -r ".config.Labels[\"org.opencontainers.image.$label\"] // empty" "$config") ]] && pass ||
      fail "$plane: label org.opencontainers.image.$label missing"
  done
  check "$plane: revision label is HEAD" "$(git rev-parse HEAD)" \
    "$(jq -r '.config.Labels["org.opencontainers.image.revision"]' "$config")"
  check "$plane: version label is the pom's" "$(sed -n 's,^  <version>\(.*\)</version>$,\1,p' pom.xml | head -n1)" \
    "$(jq -r '.config.Labels["org.opencontainers.image.version"]' "$config")"
  check "$plane: created is the commit time" "$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}" +%Y-%m-%dT%H:%M:%SZ)" \
    "$(jq -r .created "$config")"

  if command -v skopeo >/dev/null 2>&1; then
    local copy
    copy=$(mktemp -d)
    if skopeo inspect --config "oci-archive:$archive" >/dev/null 2>"$dir/skopeo.err" &&
      skopeo copy --quiet "oci-archive:$archive" "oci:$copy/layout:check" 2>>"$dir/skopeo.err"; then
      pass
    else
      fail "$plane: skopeo cannot read $archive: $(head -c 400 "$dir/skopeo.err")"
    fi
    rm -rf "$copy"
  fi
}

archive_revision() { # plane: the revision label of the archive's config
  local dir manifest config
  dir=$(mktemp -d)
  tar -C "$dir" -xf "$OUT/$1.oci.tar" index.json
  manifest=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$dir/index.json")
  tar -C "$dir" -xf "$OUT/$1.oci.tar" "blobs/sha256/$manifest"
  config=$(jq -r '.config.digest | sub("sha256:"; "")' "$dir/blobs/sha256/$manifest")
  tar -C "$dir" -xf "$OUT/$1.oci.tar" "blobs/sha256/$config"
  jq -r '.config.Labels["org.opencontainers.image.revision"]' "$dir/blobs/sha256/$config"
  rm -rf "$dir"
}

digests() { # plane: the manifest's digest and every layer's
  local dir manifest
  dir=$(mktemp -d)
  tar -C "$dir" -xf "$OUT/$1.oci.tar" index.json
  manifest=$(jq -r '.manifests[0].digest' "$dir/index.json")
  tar -C "$dir" -xf "$OUT/$1.oci.tar" "blobs/sha256/${manifest#sha256:}"
  printf 'manifest %s\n' "$manifest"
  jq -r '.layers | to_entries[] | "layer \(.key) \(.value.digest)"' "$dir/blobs/sha256/${manifest#sha256:}"
  rm -rf "$dir"
}

for plane in "${PLANES[@]}"; do
  check_manifests "$plane"
done

if [[ $reproducible == true ]]; then
  echo "images-check: building the images of HEAD (scripts/images.sh)" >&2
  scripts/images.sh
fi

checked_images=0
for plane in "${PLANES[@]}"; do
  if [[ -f $OUT/$plane.oci.tar && $require_images == false && $(archive_revision "$plane") != "$(git rev-parse HEAD)" ]]; then
    # An archive of an older commit: its labels cannot match; check it with --require-images.
    echo "images-check: $OUT/$plane.oci.tar was built from $(archive_revision "$plane"), not HEAD: not checked (rebuild with scripts/images.sh)" >&2
  elif [[ -f $OUT/$plane.oci.tar ]]; then
    check_archive "$plane"
    checked_images=$((checked_images + 1))
  elif [[ $require_images == true ]]; then
    fail "$plane: $OUT/$plane.oci.tar is missing (scripts/images.sh builds it)"
  fi
done

if [[ $reproducible == true ]]; then
  declare -A first
  for plane in "${PLANES[@]}"; do
    [[ -f $OUT/$plane.oci.tar ]] && first[$plane]=$(digests "$plane")
  done
  # Same fast-jars, same image: the whole manifest digest.
  echo "images-check: building the images again from the same fast-jars" >&2
  scripts/images.sh --skip-maven
  for plane in "${PLANES[@]}"; do
    check "$plane: digests of a second image build from the same jars" "${first[$plane]:-}" "$(digests "$plane")"
  done
  # Maven again: the base, libraries and application layers must not change; the last layer
  # (quarkus/, generated bytecode) is reported, since Quarkus 3.34 does not order it stably.
  echo "images-check: packaging and building the images again (scripts/images.sh) to compare layers" >&2
  scripts/images.sh
  for plane in "${PLANES[@]}"; do
    check "$plane: base, libraries and application layers of a second Maven build" \
      "$(grep -E '^layer [0-2] ' <<<"${first[$plane]:-}")" "$(digests "$plane" | grep -E '^layer [0-2] ')"
    if [[ $(grep '^layer 3 ' <<<"${first[$plane]:-}") == "$(digests "$plane" | grep '^layer 3 ')" ]]; then
      echo "images-check: $plane: the quarkus/ layer is the same too: the whole image is reproducible" >&2
    else
      echo "images-check: $plane: the quarkus/ layer (Quarkus' generated bytecode) differs, as expected" >&2
    fi
  done
fi

if ((checked_images == 0)) && [[ $require_images == false ]]; then
  echo "images-check: no archive in $OUT/ (scripts/images.sh builds them): checked the manifests only" >&2
fi
printf 'images-check: %d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
