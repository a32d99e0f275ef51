#!/usr/bin/env bash
# deploy/postgres/postgres.sh {install|start|stop|status|psql [args...]|reset}
#
# Runs the project's own PostgreSQL cluster as a plain process. Why: no Docker engine runs on the
# project's machines, and the machine-wide Debian cluster (port 5432, if any) is not ours to change.
# This cluster lives under $COLLECTION_RUN_DIR/postgres (git-ignored), listens on 127.0.0.1:$PG_PORT
# and on a Unix socket in its own folder, and holds one database + login role per service listed
# in deploy/postgres/databases.conf.
#
# PostgreSQL refuses to run as root. When run as root, the cluster is owned by and runs as the
# "postgres" system user (via runuser); that user must be able to traverse the path to the run dir.
# If it cannot (e.g. the repo lives under /root) — or the socket path would be too long for a Unix
# socket — the cluster goes to /tmp/collection-pg-<uid>-<hash of the run dir path> instead (printed).
#
#   install  apt-get install postgresql if no /usr/lib/postgresql/*/bin/initdb exists (root only)
#   start    initdb once, start, wait until ready, then ensure the service roles and databases;
#            exit 0 at once (after ensuring roles/dbs) if already running
#   stop     fast shutdown; exit 0 if not running
#   status   print "running" (exit 0) or "stopped" (exit 3)
#   psql     psql as superuser "postgres" over the Unix socket; extra args pass through
#            (e.g. "postgres.sh psql -d collection -c 'select 1'")
#   reset    stop and delete the data directory — for tests
#
# Connection for services: host=127.0.0.1 port=$PG_PORT user=<name>_svc dbname=<name>,
# password $PG_PASSWORD_<NAME> (default <name>-dev-password), scram-sha-256 over TCP.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source-path=SCRIPTDIR source=../env.sh
source "$HERE/../env.sh"

DATABASES_CONF="$HERE/databases.conf"
PG_OS_USER=postgres
START_TIMEOUT=60

# ---------------------------------------------------------------------------------------------------
# binaries

find_pg_bin() {
  local initdb
  initdb="$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"
  if [[ -x "$initdb" ]]; then
    dirname "$initdb"
  fi
}

cmd_install() {
  if [[ -n "$(find_pg_bin)" ]]; then
    log "PostgreSQL binaries present in $(find_pg_bin)"
    return 0
  fi
  ((EUID == 0)) || die "PostgreSQL is not installed and installing needs root: apt-get install postgresql"
  log "installing PostgreSQL with apt-get"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  [[ -n "$(find_pg_bin)" ]] || die "apt-get finished but no /usr/lib/postgresql/*/bin/initdb exists"
}

require_pg_bin() {
  PG_BIN="$(find_pg_bin)"
  [[ -n "$PG_BIN" ]] || die "PostgreSQL binaries not found; run: $0 install"
}

# ---------------------------------------------------------------------------------------------------
# who runs the server, and where its files live

ensure_os_user() {
  ((EUID == 0)) || return 0
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    log "creating system user $PG_OS_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$PG_OS_USER"
  fi
}

# as_server CMD... — run CMD as the user that owns the cluster (from "/" so that an unreadable
# current directory such as /root does not produce warnings).
as_server() {
  if ((EUID == 0)); then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    "$@"
  fi
}

# Sets PG_DIR (and DATA_DIR, SOCKET_DIR, PG_LOG). Deterministic, so every subcommand agrees.
resolve_dirs() {
  local preferred="$COLLECTION_RUN_DIR/postgres" reason=""
  # Unix socket paths are limited to 107 bytes: <dir>/socket/.s.PGSQL.<port>
  if ((${#preferred} > 80)); then
    reason="the socket path under $preferred would be too long"
  elif ((EUID == 0)) && id -u "$PG_OS_USER" >/dev/null 2>&1; then
    mkdir -p "$COLLECTION_RUN_DIR"
    if ! runuser -u "$PG_OS_USER" -- test -x "$COLLECTION_RUN_DIR" 2>/dev/null; then
      reason="user $PG_OS_USER cannot traverse $COLLECTION_RUN_DIR"
    fi
  fi
  if [[ -z "$reason" ]]; then
    PG_DIR="$preferred"
  else
    # Keyed by the run dir (by default $ROOT/.run), so two checkouts never share a cluster.
    PG_DIR="/tmp/collection-pg-$(id -u)-$(printf '%s' "$COLLECTION_RUN_DIR" | sha256sum | cut -c1-12)"
    log "$reason; using $PG_DIR instead"
  fi
  DATA_DIR="$PG_DIR/data"
  SOCKET_DIR="$PG_DIR/socket"
  PG_LOG="$PG_DIR/postgres.log"
}

prepare_dirs() {
  mkdir -p "$PG_DIR" "$SOCKET_DIR"
  if ((EUID == 0)); then
    chown "$PG_OS_USER:" "$PG_DIR" "$SOCKET_DIR"
  fi
  chmod 700 "$SOCKET_DIR"
  chmod 755 "$PG_DIR"
}

# ---------------------------------------------------------------------------------------------------
# server lifecycle

server_running() {
  [[ -f "$DATA_DIR/PG_VERSION" ]] && as_server "$PG_BIN/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

server_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2
}

pick_locale() {
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then echo C.UTF-8; else echo C; fi
}

initdb_once() {
  [[ -f "$DATA_DIR/PG_VERSION" ]] && return 0
  log "initialising a new cluster in $DATA_DIR"
  rm -rf "$DATA_DIR"
  as_server "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --encoding=UTF8 --locale="$(pick_locale)" \
    --auth-local=trust --auth-host=scram-sha-256 --no-instructions >&2
  # Our settings live in a file of their own, rewritten at every start (see write_settings).
  echo "include_if_exists = 'collection.conf'" | as_server tee -a "$DATA_DIR/postgresql.conf" >/dev/null
}

# Rewritten at every start so that PG_PORT (and the folders) always match the current environment.
write_settings() {
  as_server tee "$DATA_DIR/collection.conf" >/dev/null <<CONF
# Written by deploy/postgres/postgres.sh at every start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
# Matching looks up a million identities' blocking keys: keep the hot indexes in PostgreSQL's own cache.
shared_buffers = ${PG_SHARED_BUFFERS:-512MB}
# Short transactional queries: JIT compilation (seconds, when an estimate crosses jit_above_cost) never pays off.
jit = off
fsync = on
log_timezone = 'UTC'
timezone = 'UTC'
CONF
}

start_server() {
  write_settings
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT (data $DATA_DIR, log $PG_LOG)"
  if [[ ! -e "$PG_LOG" ]]; then
    as_server touch "$PG_LOG"
  fi
  if ! as_server "$PG_BIN/pg_ctl" start -w -t "$START_TIMEOUT" -D "$DATA_DIR" -l "$PG_LOG" >&2; then
    log "---- tail of $PG_LOG ----"
    tail -n 30 "$PG_LOG" >&2 || true
    die "PostgreSQL failed to start"
  fi
}

wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until server_ready; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$PG_LOG" >&2 || true
      die "PostgreSQL did not accept connections on 127.0.0.1:$PG_PORT within ${START_TIMEOUT}s"
    fi
    sleep 0.5
  done
}

# superuser_psql ARGS... — psql as "postgres" over the cluster's socket.
superuser_psql() {
  PGHOST="$SOCKET_DIR" PGPORT="$PG_PORT" PGUSER=postgres PGDATABASE="${PGDATABASE:-postgres}" \
    "$PG_BIN/psql" -X "$@"
}

# Create/refresh the role and database of every service in databases.conf. Safe to repeat: roles
# get their password (re)set from the environment, databases are only created when missing.
ensure_databases() {
  local line name var password
  while IFS= read -r line || [[ -n "$line" ]]; do
    name="${line%%#*}"
    name="${name//[[:space:]]/}"
    [[ -n "$name" ]] || continue
    [[ "$name" =~ ^[a-z][a-z0-9_]*$ ]] || die "invalid service name '$name' in $DATABASES_CONF"
    var="PG_PASSWORD_${name^^}"
    password="${!var:-$name-dev-password}"
    # The password travels in the environment (\getenv), not on a command line visible in ps.
    COLLECTION_PG_PASSWORD="$password" superuser_psql -q -v ON_ERROR_STOP=1 \
      -v role="${name}_svc" -v db="$name" <<'SQL'
\getenv password COLLECTION_PG_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role') \gexec
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'role') \gexec
SQL
    log "database '$name' ready (owner ${name}_svc)"
  done <"$DATABASES_CONF"
}

# ---------------------------------------------------------------------------------------------------
# subcommands

cmd_start() {
  cmd_install
  require_pg_bin
  ensure_os_user
  resolve_dirs
  if server_running; then
    wait_ready
    log "PostgreSQL is already running on 127.0.0.1:$PG_PORT"
  else
    if port_open 127.0.0.1 "$PG_PORT"; then
      die "port 127.0.0.1:$PG_PORT is already in use by another process (not this cluster); free it or set PG_PORT"
    fi
    prepare_dirs
    initdb_once
    start_server
    wait_ready
    log "PostgreSQL is ready on 127.0.0.1:$PG_PORT"
  fi
  ensure_databases
}

cmd_stop() {
  require_pg_bin
  resolve_dirs
  if ! server_running; then
    log "PostgreSQL is not running"
    return 0
  fi
  log "stopping PostgreSQL"
  as_server "$PG_BIN/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t 60 >&2
  log "PostgreSQL stopped"
}

cmd_status() {
  require_pg_bin
  resolve_dirs
  if server_running && server_ready; then
    echo running
  else
    echo stopped
    exit 3
  fi
}

cmd_psql() {
  require_pg_bin
  resolve_dirs
  server_running || die "PostgreSQL is not running; run: $0 start"
  superuser_psql "$@"
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR"
  log "deleted PostgreSQL data directory $DATA_DIR"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  psql)
    shift
    cmd_psql "$@"
    ;;
  reset) cmd_reset ;;
  *)
    echo "usage: $0 {install|start|stop|status|psql [psql args...]|reset}" >&2
    exit 2
    ;;
esac
