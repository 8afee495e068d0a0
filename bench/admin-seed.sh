#!/usr/bin/env bash
# Seeds a PostgreSQL database the way a large Tollgate installation looks (AdminSeed): 1,000,000
# keys across 10,000 users and 100 provider groups by default, minute usage for 48 h, a month in
# every coarser usage tier the schema has, and error events for 7 days. The database is dropped and
# created afresh, then migrated with the control plane's Flyway migrations.
#
#   bench/admin-seed.sh [--db tollgate_bench_admin_1m] [--keys N] [--errors N] [--check] …
#
# Every AdminSeed option (--keys, --users, --groups, --errors, --minute-rows, --seed, …) is passed
# on; --check only says (exit status 0/1) whether the database is already seeded with them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

db=tollgate_bench_admin_1m
args=()
while (($#)); do
  case $1 in
    --db) db=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

"$root/scripts/services.sh" >/dev/null 8>&-

jar=bench/admin-api/target/admin-api-bench.jar
if [[ ! -f $jar || ${REBUILD:-0} == 1 ]]; then
  ./mvnw -B -q -DskipTests -Dspotless.check.skip=true -pl bench/admin-api -am package
fi
exec java -cp "$jar" dev.tollgate.bench.admin.AdminSeed \
  --db-url "jdbc:postgresql://127.0.0.1:5432/$db" "${args[@]}"
