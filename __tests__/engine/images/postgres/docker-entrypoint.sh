#!/bin/bash
# The essentials of the official postgres image's entrypoint, for the engine tests.
#   docker-entrypoint.sh postgres [server options...]   initialise PGDATA if empty, then run the server
#   docker-entrypoint.sh -c max_connections=520         the same (options only)
#   docker-entrypoint.sh any other command              run it as is (psql, pg_dump, sh, ...)
# Environment: POSTGRES_PASSWORD (required for a new cluster unless POSTGRES_HOST_AUTH_METHOD=trust),
# POSTGRES_USER (default postgres), POSTGRES_DB (default POSTGRES_USER), PGDATA,
# POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256).
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "${1:-}" != 'postgres' ]; then
  exec "$@"
fi
shift

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
BIN="/usr/lib/postgresql/${PG_MAJOR:-15}/bin"

say() { echo "docker-entrypoint: $*" >&2; }

if [ "$(id -u)" = '0' ]; then
  # Volumes come up owned by whoever made them: hand PGDATA and the socket folder to postgres.
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" postgres "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
    say 'Database is uninitialized and superuser password is not specified.'
    say 'You must specify POSTGRES_PASSWORD to a non-empty value for the superuser (or POSTGRES_HOST_AUTH_METHOD=trust).'
    exit 1
  fi
  say "initialising $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
  # shellcheck disable=SC2086
  "$BIN/initdb" -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust ${POSTGRES_INITDB_ARGS:-} >&2
  rm -f "$pwfile"
  printf '\nlisten_addresses = '"'*'"'\n' >> "$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

  # A server on a private socket only, to create the database and run init scripts (so that
  # pg_isready on the usual socket does not report ready before the real server runs).
  initsock="$(mktemp -d)"
  "$BIN/pg_ctl" -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -p 5432 -k $initsock" start >&2
  export PGUSER="$POSTGRES_USER" PGHOST="$initsock"
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    # psql quotes the names (:"db"), which it does in its input, not in -c.
    "$BIN/psql" -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" --set owner="$POSTGRES_USER" >&2 <<'SQL'
CREATE DATABASE :"db" OWNER :"owner";
SQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) say "running $f"; . "$f" ;;
      *.sql) say "running $f"; "$BIN/psql" -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" -f "$f" >&2 ;;
      *) if [ -e "$f" ]; then say "ignoring $f"; fi ;;
    esac
  done
  "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >&2
  rmdir "$initsock" 2>/dev/null || true
  unset PGUSER PGHOST
  say 'initialisation complete; starting the server'
fi

exec "$BIN/postgres" -D "$PGDATA" "$@"
