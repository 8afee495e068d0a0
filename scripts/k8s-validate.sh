#!/usr/bin/env bash
# Checks the Kubernetes manifests in k8s/ offline, without a cluster:
#   1. yamllint (syntax, style; settings in k8s/.yamllint);
#   2. kubectl kustomize, when kubectl is installed (the kustomization renders);
#   3. every object of a built-in kind against its OpenAPI schema (types, required fields, enums),
#      with the npm packages kubernetes-models and yaml, installed once into a cache folder outside
#      the repository ($TOLLGATE_CACHE, default ~/.cache/tollgate/k8s-validate).
# Not part of the Maven build: it needs npm's registry the first time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly CACHE=${TOLLGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate/k8s-validate}
readonly KUBERNETES_MODELS_VERSION=4.5.1 YAML_VERSION=2

die() {
  printf 'k8s-validate: ERROR: %s\n' "$*" >&2
  exit 1
}

command -v yamllint >/dev/null 2>&1 || die "yamllint is missing (apt-get install yamllint)"
command -v node >/dev/null 2>&1 || die "node is missing (apt-get install nodejs npm)"

echo "k8s-validate: yamllint" >&2
yamllint -s -c k8s/.yamllint k8s/

if command -v kubectl >/dev/null 2>&1; then
  echo "k8s-validate: kubectl kustomize k8s/" >&2
  # An explicit empty KUBECONFIG: rendering needs no cluster, and must not reach for one.
  KUBECONFIG=/dev/null kubectl kustomize k8s/ >/dev/null
fi

if [[ ! -d $CACHE/node_modules/kubernetes-models || ! -d $CACHE/node_modules/yaml ]]; then
  echo "k8s-validate: installing kubernetes-models and yaml into $CACHE" >&2
  mkdir -p "$CACHE"
  [[ -f $CACHE/package.json ]] || echo '{"private": true}' >"$CACHE/package.json"
  (cd "$CACHE" && npm install --no-audit --no-fund --silent \
    "kubernetes-models@$KUBERNETES_MODELS_VERSION" "yaml@$YAML_VERSION") ||
    die "npm install failed"
fi

echo "k8s-validate: schemas" >&2
NODE_PATH=$CACHE/node_modules node - k8s/[0-9]*.yaml <<'JS'
const fs = require("fs");
const YAML = require("yaml");

let objects = 0;
let failures = 0;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      console.error(`${file}: ${doc.errors.map(String).join("; ")}`);
      failures++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    const where = `${file}: ${obj.kind}/${obj.metadata && obj.metadata.name}`;
    let Model;
    try {
      // Built-in kinds live at kubernetes-models/<apiVersion> ("v1", "apps/v1", "policy/v1", …).
      Model = require(`kubernetes-models/${obj.apiVersion}`)[obj.kind];
    } catch (e) {
      Model = undefined;
    }
    if (!Model) {
      console.error(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      failures++;
      continue;
    }
    try {
      new Model(obj).validate();
      objects++;
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      failures++;
    }
  }
}
if (failures > 0) {
  console.error(`k8s-validate: ${failures} invalid object(s)`);
  process.exit(1);
}
console.error(`k8s-validate: ${objects} objects valid`);
JS
