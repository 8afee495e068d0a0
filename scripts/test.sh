#!/usr/bin/env bash
# Runs every test Tollgate has, the way CI does: the whole reactor's unit tests, the end-to-end
# *IT tests (which start both planes from their packaged jars against the local PostgreSQL and
# Redis) and the formatting check. Extra arguments go to Maven (e.g. -o, -pl control-plane -am).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/services.sh
exec ./mvnw -B --no-transfer-progress verify "$@"
