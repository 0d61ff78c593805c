#!/bin/sh
# Runs once, on an empty data volume, as the image's superuser (docker-entrypoint-initdb.d).
# Two roles, neither a superuser:
#   iplease      owns the database and its schema: runs the migrations (DATABASE_URL);
#   iplease_app  can only log in: at every start iplease grants it what the API does, rows and
#                no DDL (DATABASE_APP_URL).
# An existing volume skips this script: run the same SQL once with psql (see docs/security.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$IPLEASE_OWNER_PASSWORD" -v app_password="$IPLEASE_APP_PASSWORD" <<'SQL'
CREATE ROLE iplease LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE iplease_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE iplease OWNER iplease;
SQL
