#!/usr/bin/env bash
# Makes the two servers Tollgate needs run on loopback, for the quickstart and the tests:
#   PostgreSQL on 127.0.0.1:5432 with role tollgate/tollgate (CREATEDB) owning the databases
#              tollgate (quickstart, dev), tollgate_cp_test (CP tests), tollgate_e2e (end-to-end tests);
#   Redis      on 127.0.0.1:6379, keeping nothing on disk.
# A server that already answers is left alone; a missing one is installed with apt-get and started
# without systemd (containers and CI machines have none). Safe to run twice, or twice at once.
# Runs as root, or as a user who may sudo.
set -euo pipefail

# The ports can be moved (a second instance, or testing this script); the planes' defaults and the
# tests expect 5432 and 6379.
readonly PG_HOST=127.0.0.1 PG_PORT=${TOLLGATE_PG_PORT:-5432}
readonly REDIS_HOST=127.0.0.1 REDIS_PORT=${TOLLGATE_REDIS_PORT:-6379}
readonly DB_ROLE=tollgate DB_PASSWORD=tollgate
readonly DATABASES=(tollgate tollgate_cp_test tollgate_e2e)
# Bounded waits (seconds): a server that is not up by then will not come up by waiting longer.
readonly PG_START_TIMEOUT=60 REDIS_START_TIMEOUT=15

log() { printf 'services: %s\n' "$*" >&2; }
die() {
  printf 'services: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Usage: scripts/services.sh

Starts PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) when they are not running,
installing them with apt-get when missing, and creates the role tollgate (password tollgate)
and the databases tollgate, tollgate_cp_test and tollgate_e2e. Safe to run again.

Environment: TOLLGATE_PG_PORT (5432) and TOLLGATE_REDIS_PORT (6379) move the servers.
EOF
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

# --- privileges --------------------------------------------------------------------------------

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (run as root, or install sudo)"
  fi
}

# Runs a command as the postgres OS user, from / so that it can read its working directory.
as_postgres() {
  if [[ $EUID -eq 0 ]] && command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u postgres -- "$@")
  elif command -v sudo >/dev/null 2>&1; then
    (cd / && sudo -u postgres "$@")
  else
    return 1
  fi
}

# --- probes ------------------------------------------------------------------------------------

tcp_open() { timeout 2 bash -c ">/dev/tcp/$1/$2" 2>/dev/null; }

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

redis_up() {
  if command -v redis-cli >/dev/null 2>&1; then
    [[ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
  else
    # RESP inline command over a raw socket: a Redis answers +PONG.
    timeout 3 bash -c "exec 3<>/dev/tcp/$REDIS_HOST/$REDIS_PORT && printf 'PING\r\n' >&3 \
      && IFS= read -r line <&3 && [[ \$line == +PONG* ]]" 2>/dev/null
  fi
}

wait_for() { # description timeout-seconds probe...
  local what=$1 timeout=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
  log "$what is up"
}

# --- installation ------------------------------------------------------------------------------

APT_UPDATED=false
apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    die "$* missing and there is no apt-get here: install $* yourself, then run this again"
  if [[ $APT_UPDATED == false ]]; then
    log "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=true
  fi
  log "apt-get install $*"
  # policy-rc.d-less containers make the packages' own start attempt fail; we start them below.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null || die "apt-get install $* failed"
}

pg_server_installed() {
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && command -v pg_ctlcluster >/dev/null 2>&1
}

# --- PostgreSQL --------------------------------------------------------------------------------

start_postgresql() {
  pg_server_installed || apt_install postgresql
  command -v pg_lsclusters >/dev/null 2>&1 ||
    die "PostgreSQL is not running on $PG_HOST:$PG_PORT and this is not a Debian-style install \
(no pg_lsclusters): start it there yourself"

  # Debian clusters: "version name port status owner datadir logfile".
  local version name status cluster
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$PG_PORT" '$3 == p {print $1, $2, $4; exit}')
  if [[ -z $cluster ]]; then
    if [[ -n "$(pg_lsclusters --no-header 2>/dev/null)" ]]; then
      die "no PostgreSQL cluster uses port $PG_PORT (pg_lsclusters shows others): \
create one with 'pg_createcluster <version> main -p $PG_PORT'"
    fi
    version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n 1)
    [[ -n $version ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    log "creating PostgreSQL $version cluster 'main' on port $PG_PORT"
    as_root pg_createcluster "$version" main -p "$PG_PORT" >/dev/null ||
      die "pg_createcluster $version main failed"
    cluster="$version main down"
  fi
  read -r version name status <<<"$cluster"

  if [[ $status != online ]]; then
    log "starting PostgreSQL cluster $version/$name"
    # Without systemd; a stale pid file from a killed server is handled by pg_ctlcluster.
    # 9>&-: the server must not inherit (and hold forever) this script's lock.
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start 9>&- ||
      die "pg_ctlcluster $version $name start failed: see /var/log/postgresql/postgresql-$version-$name.log"
  fi
  wait_for "PostgreSQL on $PG_HOST:$PG_PORT" "$PG_START_TIMEOUT" pg_up ||
    die "PostgreSQL cluster $version/$name runs but does not accept connections on $PG_HOST:$PG_PORT \
within ${PG_START_TIMEOUT}s: check listen_addresses in /etc/postgresql/$version/$name/postgresql.conf"
}

# Picks how to run SQL as a superuser: the postgres OS user over the socket (peer auth, Debian's
# default), or TCP as role postgres when the server trusts loopback (as on CI machines).
PSQL_ADMIN=()
pick_admin_psql() {
  local -a tries=("as_postgres psql -X -q -v ON_ERROR_STOP=1 -p $PG_PORT -d postgres"
    "psql -X -q -v ON_ERROR_STOP=1 -w -h $PG_HOST -p $PG_PORT -U postgres -d postgres")
  local try
  for try in "${tries[@]}"; do
    read -r -a PSQL_ADMIN <<<"$try"
    if "${PSQL_ADMIN[@]}" -Atc 'SELECT 1' </dev/null >/dev/null 2>&1; then
      return 0
    fi
  done
  die "cannot run SQL as a PostgreSQL superuser (neither as OS user postgres nor as role postgres \
over $PG_HOST without a password). Create them yourself:
  CREATE ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  CREATE DATABASE tollgate OWNER $DB_ROLE;  -- and tollgate_cp_test, tollgate_e2e"
}

admin_sql() { "${PSQL_ADMIN[@]}" "$@"; }

tollgate_login_works() {
  PGPASSWORD=$DB_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -w -h "$PG_HOST" -p "$PG_PORT" -U "$DB_ROLE" \
    -d tollgate -Atc 'SELECT 1' </dev/null >/dev/null 2>&1
}

# True when role tollgate logs in with its password, may create databases, and all of them exist:
# then nothing needs a superuser (which a PostgreSQL run elsewhere may not offer).
already_set_up() {
  local wanted
  wanted=$(printf "'%s'," "${DATABASES[@]}")
  [[ "$(PGPASSWORD=$DB_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -w -h "$PG_HOST" -p "$PG_PORT" \
    -U "$DB_ROLE" -d tollgate -Atc "SELECT (SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user)
      AND (SELECT count(*) FROM pg_database WHERE datname IN (${wanted%,})) = ${#DATABASES[@]}" \
    </dev/null 2>/dev/null)" == t ]]
}

ensure_role_and_databases() {
  command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  if already_set_up; then
    log "PostgreSQL ready: role $DB_ROLE, databases ${DATABASES[*]}"
    return
  fi
  pick_admin_psql
  # Setting the same password again is harmless and repairs a role created without one.
  # CREATEDB: each end-to-end test run creates (and drops) a database of its own.
  admin_sql <<SQL || die "could not create role $DB_ROLE"
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_ROLE') THEN
    CREATE ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  ELSE
    ALTER ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  END IF;
END
\$\$;
SQL
  local db
  for db in "${DATABASES[@]}"; do
    if [[ "$(admin_sql -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
      log "creating database $db"
      admin_sql -c "CREATE DATABASE $db OWNER $DB_ROLE" || die "could not create database $db"
    else
      admin_sql -c "ALTER DATABASE $db OWNER TO $DB_ROLE" || die "could not make $DB_ROLE own $db"
    fi
  done

  if ! tollgate_login_works; then
    # Debian's default pg_hba.conf already allows passwords on 127.0.0.1; some installs only
    # allow peer/ident there. "md5" also accepts SCRAM-stored passwords.
    local hba
    hba=$(admin_sql -Atc 'SHOW hba_file') || die "could not locate pg_hba.conf"
    log "allowing password login for $DB_ROLE on $PG_HOST in $hba"
    as_root sed -i "1i host all $DB_ROLE $PG_HOST/32 md5  # added by tollgate scripts/services.sh" "$hba" ||
      die "could not edit $hba"
    admin_sql -Atc 'SELECT pg_reload_conf()' >/dev/null || die "could not reload PostgreSQL"
    sleep 1
    tollgate_login_works ||
      die "role $DB_ROLE still cannot log in with its password over $PG_HOST:$PG_PORT: check $hba"
  fi
  log "PostgreSQL ready: role $DB_ROLE, databases ${DATABASES[*]}"
}

# --- Redis -------------------------------------------------------------------------------------

start_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  local dir logfile
  if [[ -d /var/lib/redis && -w /var/lib/redis ]]; then
    dir=/var/lib/redis
  else
    dir=${TMPDIR:-/tmp}/tollgate-redis
    mkdir -p "$dir"
  fi
  logfile=$dir/tollgate-redis-$REDIS_PORT.log
  log "starting Redis on $REDIS_HOST:$REDIS_PORT (log $logfile)"
  # Nothing on disk: limits are short-lived counters, and tests want a clean server after a restart.
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" \
    --appendonly no --dir "$dir" --logfile "$logfile" 9>&- ||
    die "redis-server failed to start: see $logfile"
  wait_for "Redis on $REDIS_HOST:$REDIS_PORT" "$REDIS_START_TIMEOUT" redis_up ||
    die "Redis did not answer PING on $REDIS_HOST:$REDIS_PORT within ${REDIS_START_TIMEOUT}s: see $logfile"
}

# --- main --------------------------------------------------------------------------------------

# Two callers at once (quickstart and tests) must not both create a database. The servers started
# below close fd 9, or the daemons would hold the lock for their whole life.
readonly LOCK_FILE=${TMPDIR:-/tmp}/tollgate-services.lock
if command -v flock >/dev/null 2>&1 && (: >>"$LOCK_FILE") 2>/dev/null; then
  exec 9>>"$LOCK_FILE"
  flock -w 120 9 || die "another scripts/services.sh still holds $LOCK_FILE after 120s"
fi

if pg_up; then
  log "PostgreSQL already running on $PG_HOST:$PG_PORT"
else
  start_postgresql
fi
ensure_role_and_databases

if redis_up; then
  log "Redis already running on $REDIS_HOST:$REDIS_PORT"
else
  tcp_open "$REDIS_HOST" "$REDIS_PORT" &&
    die "port $REDIS_PORT on $REDIS_HOST is taken by something that is not answering Redis PING"
  start_redis
fi
