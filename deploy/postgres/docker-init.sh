#!/usr/bin/env bash
# Runs once inside the PostgreSQL container (docker-entrypoint-initdb.d): the same databases and roles as
# deploy/postgres/postgres.sh creates natively, from the same deploy/postgres/databases.conf; the passwords come
# from .env (make compose-env): there is no default here.
set -euo pipefail
while read -r name _; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  var="PG_PASSWORD_${name^^}"
  password="${!var:?$var must be set: run make compose-env, which writes .env}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="${name}_svc" -v db="$name" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE CONNECT ON DATABASE :"db" FROM PUBLIC;
SQL
done </docker-entrypoint-initdb.d/databases.conf
