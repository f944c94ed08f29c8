#!/usr/bin/env bash
# Runs the whole test suite. Starts and stops what the tests need itself; with CI=true a
# missing service (e.g. Chromium for the browser tests, PostgreSQL for the storage tests) fails
# the run instead of skipping.
#
# PostgreSQL: a throwaway cluster (initdb + pg_ctl from /usr/lib/postgresql/*/bin, or
# $BACKSTRIDE_PG_BIN) in a fresh temp dir, trust auth, fsync off, listening only on a unix socket
# in that dir; as root it runs as the `postgres` user. Tests get its URL in
# BACKSTRIDE_TEST_POSTGRES_URL (set it yourself to use a server of your own instead) and the
# cluster is stopped and deleted on exit, whatever the tests did.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "test: no .venv; run scripts/setup.sh first" >&2; exit 1; }

if [ "${CI:-}" = "true" ]; then
  export BACKSTRIDE_REQUIRE_SERVICES=1
fi
export BACKSTRIDE_DATA_DIR="$(mktemp -d)"
pg_tmp=""
pg_data=""
pg_ctl=""

cleanup() {
  if [ -n "$pg_ctl" ] && [ -f "$pg_data/postmaster.pid" ]; then
    pg_as_owner "$pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$pg_tmp" ]; then rm -rf "$pg_tmp"; fi
  rm -rf "$BACKSTRIDE_DATA_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a server command as the cluster's owner: `postgres` when we are root (the server refuses
# to run as root), else ourselves. From inside the temp dir, which that user can read.
pg_as_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    (cd "$pg_tmp" && "$@")
  elif command -v runuser >/dev/null; then
    (cd "$pg_tmp" && runuser -u postgres -- "$@")
  else
    (cd "$pg_tmp" && su -s /bin/sh postgres -c "$(printf '%q ' "$@")")
  fi
}

postgres_missing() {  # $1: why
  if [ "${BACKSTRIDE_REQUIRE_SERVICES:-}" = "1" ]; then
    echo "test: PostgreSQL is required (CI=true) but $1." >&2
    exit 1
  fi
  echo "test: $1; the tests marked postgres will be skipped" >&2
}

# Starts the throwaway cluster and exports BACKSTRIDE_TEST_POSTGRES_URL; returns 1 (after saying
# why) when it cannot.
start_postgres() {
  local bin
  bin="${BACKSTRIDE_PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null \
    | sort -V | tail -n 1)}"
  if [ -z "$bin" ] && command -v pg_ctl >/dev/null; then bin="$(dirname "$(command -v pg_ctl)")"; fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ] \
      || [ ! -x "$bin/createdb" ]; then
    postgres_missing "PostgreSQL server binaries (initdb, pg_ctl, createdb) were not found in \
${bin:-/usr/lib/postgresql/*/bin} (scripts/setup.sh installs them)"
    return 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    postgres_missing "as root the server runs as the 'postgres' user, and there is none \
(scripts/setup.sh installs PostgreSQL, which creates it)"
    return 1
  fi
  pg_tmp="$(mktemp -d /tmp/backstride-pg.XXXXXX)"  # short: a socket path has ~100 bytes at most
  pg_data="$pg_tmp/data"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pg_tmp"; fi
  local port=5432 db=backstride_test
  if ! pg_as_owner "$bin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --locale=C \
      --no-sync >"$pg_tmp/initdb.log" 2>&1; then
    tail -n 20 "$pg_tmp/initdb.log" >&2 || true
    postgres_missing "initdb failed (log above)"
    return 1
  fi
  cat >>"$pg_data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$pg_tmp'
port = $port
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  pg_ctl="$bin/pg_ctl"
  if ! pg_as_owner "$pg_ctl" -D "$pg_data" -l "$pg_tmp/server.log" -w -t 30 start >/dev/null \
      || ! "$bin/createdb" -h "$pg_tmp" -p "$port" -U postgres "$db"; then
    if [ -f "$pg_tmp/server.log" ]; then tail -n 20 "$pg_tmp/server.log" >&2; fi
    postgres_missing "the throwaway PostgreSQL server did not start (log above)"
    return 1
  fi
  export BACKSTRIDE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@/$db?host=$pg_tmp&port=$port"
}

if [ $# -eq 0 ]; then  # the whole suite also checks style and types
  .venv/bin/ruff check src tests benchmarks
  .venv/bin/mypy
fi

if [ -n "${BACKSTRIDE_TEST_POSTGRES_URL:-}" ]; then
  echo "test: using the PostgreSQL server in BACKSTRIDE_TEST_POSTGRES_URL" >&2
else
  pg_started=$(date +%s%N)
  if start_postgres; then
    echo "test: throwaway PostgreSQL $("$pg_ctl" --version | awk '{print $3}') up in" \
         "$(( ($(date +%s%N) - pg_started) / 1000000 )) ms ($pg_tmp)" >&2
  fi
fi

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ $status -eq 5 ]; then
  echo "test: no tests were collected: failing" >&2
  exit 1
fi
exit $status
