#!/usr/bin/env bash
# Make sure a local PostgreSQL answers on 127.0.0.1:5432 and the test database exists.
# Idempotent; run as root on Debian. Prints the test URL on stdout (everything else on stderr).
#   TENDERHUB_PG_ROLE / TENDERHUB_PG_PASSWORD / TENDERHUB_PG_DB override the defaults.
set -euo pipefail

ROLE="${TENDERHUB_PG_ROLE:-tenderhub}"
PASSWORD="${TENDERHUB_PG_PASSWORD:-tenderhub}"
DB="${TENDERHUB_PG_DB:-tenderhub_test}"
HOST=127.0.0.1
PORT=5432

log() { echo "ensure-postgres: $*" >&2; }

ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT"; }

install_postgres() {
  if [ ! -d /usr/lib/postgresql ] || [ -z "$(ls -A /usr/lib/postgresql 2>/dev/null)" ]; then
    log "installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
}

pg_version() {
  # Prefer an existing cluster's version, else the newest installed server.
  local v
  v="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)"
  [ -n "$v" ] || v="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
  echo "$v"
}

start_cluster() {
  local version
  version="$(pg_version)"
  if [ ! -f "/etc/postgresql/$version/main/postgresql.conf" ]; then
    log "creating cluster $version/main"
    pg_createcluster "$version" main >&2
  fi
  log "starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
}

wait_ready() {
  for _ in $(seq 1 60); do
    ready && return 0
    sleep 1
  done
  log "PostgreSQL did not become ready on $HOST:$PORT"
  return 1
}

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtA $*"; }

ensure_role_and_db() {
  if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'\"")" != "1" ]; then
    log "creating role $ROLE"
    psql_admin "-c \"CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'\"" >&2
  fi
  if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$DB'\"")" != "1" ]; then
    log "creating database $DB"
    psql_admin "-c \"CREATE DATABASE $DB OWNER $ROLE\"" >&2
  fi
}

if ! ready; then
  install_postgres
  start_cluster
  wait_ready
fi
ensure_role_and_db
echo "postgresql+psycopg://$ROLE:$PASSWORD@$HOST:$PORT/$DB"
