#!/usr/bin/env bash
# Flush apply: one batch of 10,000 and one of 100,000 key deltas applied in one transaction by the
# control plane's set-based FlushRepository, against one UPDATE per row (plain and JDBC-batched), in
# one run on the local PostgreSQL. Prints a table with the ratios.
#
#   bench/flush-apply.sh [--sizes 10000,100000] [--repeats 5]
#
# Uses (and wipes) the database tollgate_bench_flush, created here when missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

"$root/scripts/services.sh" >/dev/null 8>&-

# One benchmark at a time on this machine: bench/dp-overhead.sh takes the same lock.
exec 8>"${TMPDIR:-/tmp}/tollgate-bench.lock"
if ! flock -n 8; then
  echo "waiting for another benchmark to finish…" >&2
  flock -w 600 8 || { echo "another benchmark still holds the lock after 10 minutes" >&2; exit 1; }
fi

db=tollgate_bench_flush
if ! psql -h 127.0.0.1 -U tollgate -d tollgate -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" 2>/dev/null | grep -q 1; then
  PGPASSWORD=tollgate psql -h 127.0.0.1 -U tollgate -d tollgate -qc "CREATE DATABASE $db"
fi

jar=bench/flush-apply/target/flush-apply-bench.jar
if [[ ! -f $jar || ${REBUILD:-0} == 1 ]]; then
  ./mvnw -B -q -DskipTests -pl bench/flush-apply -am package
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(psql --version | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec java -jar "$jar" --db-url "jdbc:postgresql://127.0.0.1:5432/$db" "$@"
