# A throw-away PostgreSQL 15 for the tests, sourced by .ci/run (and usable by hand:
# `source .ci/postgres.sh && postgres_start`, later `postgres_stop`).
# initdb refuses root, so the cluster belongs to the `postgres` user; it listens on a free loopback
# port with its socket in its own temporary folder, checks passwords (scram-sha-256) so the tests
# of the team store's password mean something, and is stopped and removed by postgres_stop.
# Exports SYNCMONITOR_TEST_POSTGRES_URL, the superuser's address the tests make databases from.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

postgres_start() {
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "Installing PostgreSQL 15 (Debian package postgresql)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql
  fi
  PG_DIR="$(mktemp -d /tmp/syncmonitor-pg.XXXXXX)"
  local as=""
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_DIR"
    as="postgres"
  fi
  PG_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  printf '%s\n' "$PG_PASSWORD" > "$PG_DIR/pw"
  [ -n "$as" ] && chown postgres "$PG_DIR/pw"
  PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  _pg() { if [ -n "$as" ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
  _pg "'$PG_BIN/initdb' -D '$PG_DIR/data' -U postgres --pwfile='$PG_DIR/pw' -A scram-sha-256 -E UTF8 --locale=C.UTF-8" > "$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  _pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/server.log' -w -t 60 -o \"-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start" > /dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  export SYNCMONITOR_TEST_POSTGRES_URL="postgresql+psycopg://postgres:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/postgres"
  echo "PostgreSQL for the tests on 127.0.0.1:$PG_PORT ($PG_DIR)"
}

postgres_stop() {
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m immediate -w stop" > /dev/null 2>&1 || true
  else
    "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop > /dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  PG_DIR=""
}
