#!/usr/bin/env bash
# Runs every test Tollgate has, the way CI does: the whole reactor's unit tests, the end-to-end
# *IT tests (which start both planes from their packaged jars against the local PostgreSQL and
# Redis) and the formatting check. Extra arguments go to Maven (e.g. -o, -pl control-plane -am).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/services.sh

sudo_if_needed=()
[[ $(id -u) -eq 0 ]] || sudo_if_needed=(sudo -n)
APT_UPDATED=false
apt_install() { # packages...
  if [[ $APT_UPDATED == false ]]; then
    "${sudo_if_needed[@]}" apt-get update -qq || return 1
    APT_UPDATED=true
  fi
  echo "test: apt-get install $*" >&2
  "${sudo_if_needed[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "$@" >/dev/null
}

# OpenAiNodeClientTest drives the gateway with the openai npm package: it needs node and npm (it is
# skipped, not failed, where node is missing, so install them here rather than lose the check).
# Debian's npm brings a few hundred small node-* packages: a minute or two on a fresh machine.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt_install nodejs npm ||
      echo "test: WARNING: could not install nodejs and npm; OpenAiNodeClientTest will be skipped" >&2
  else
    echo "test: WARNING: node/npm missing and no apt-get; OpenAiNodeClientTest will be skipped" >&2
  fi
fi

# ConsoleBrowserIT drives Debian's chromium through its chromedriver (never a downloaded browser).
# It fails, rather than skips, without them: the console is only tested in a real browser.
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
  if command -v apt-get >/dev/null 2>&1; then
    apt_install chromium chromium-driver ||
      echo "test: WARNING: could not install chromium and chromium-driver; ConsoleBrowserIT will fail" >&2
  else
    echo "test: WARNING: chromium/chromedriver missing and no apt-get; ConsoleBrowserIT will fail" >&2
  fi
fi

# The images' contract with k8s/ (names from kustomization images:, user, probes, ports, read-only
# root); it also checks target/images/*.oci.tar when scripts/images.sh has built them. Needs jq
# and yq (Debian packages); a few seconds without archives.
for tool in jq yq; do
  command -v "$tool" >/dev/null 2>&1 || apt_install "$tool" ||
    echo "test: WARNING: could not install $tool; scripts/images-check.sh will fail" >&2
done
scripts/images-check.sh

exec ./mvnw -B --no-transfer-progress verify "$@"
