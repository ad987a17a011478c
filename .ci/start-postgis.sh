#!/usr/bin/env bash
# Start a throwaway PostgreSQL + PostGIS for the tests and print how to reach it.
#
#   eval "$(.ci/start-postgis.sh)"        # sets LANDUSE_TEST_PG_URL
#   .ci/start-postgis.sh stop             # stops it and removes its folder
#
# Assumes the Debian packages are installed (apt-get install postgresql
# postgresql-15-postgis-3). Runs its own cluster (initdb into $LANDUSE_PG_DIR, by
# default a new /tmp/landuse-pg.XXXXXX) on a free loopback port from 55432 up, so it
# neither needs nor disturbs the packaged "main" cluster or another run's. A role
# "landuse" with a random password owns database "landuse_test", which has the
# postgis extension. Only the export lines go to stdout (LANDUSE_TEST_PG_URL, and
# LANDUSE_PG_DIR for "stop"); progress goes to stderr.
set -euo pipefail

DIR="${LANDUSE_PG_DIR:-}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$BIN" ]]; then
    echo "start-postgis: no PostgreSQL under /usr/lib/postgresql; apt-get install postgresql" >&2
    exit 1
fi

as_postgres() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ "${1:-}" == "stop" ]]; then
    if [[ -z "$DIR" ]]; then
        echo "start-postgis: stop needs LANDUSE_PG_DIR (printed by the start)" >&2
        exit 1
    fi
    if [[ -d "$DIR/data" ]]; then as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true; fi
    rm -rf "$DIR"
    exit 0
fi

if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
    echo "start-postgis: PostGIS missing; apt-get install postgresql-15-postgis-3" >&2
    exit 1
fi

if [[ -z "$DIR" ]]; then
    DIR="$(mktemp -d /tmp/landuse-pg.XXXXXX)"
elif [[ -d "$DIR/data" ]]; then
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
fi
mkdir -p "$DIR"
if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$DIR"; fi
chmod 700 "$DIR"

port=55432
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

echo "start-postgis: initdb $DIR/data, port $port" >&2
as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >&2
as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2

psql_admin() { as_postgres "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$port" -U postgres "$@"; }
psql_admin -d postgres -c "CREATE ROLE landuse LOGIN PASSWORD '$password'" >&2
psql_admin -d postgres -c "CREATE DATABASE landuse_test OWNER landuse" >&2
psql_admin -d landuse_test -c "CREATE EXTENSION postgis" >&2
echo "start-postgis: ready, $(psql_admin -d landuse_test -tAc 'SELECT postgis_lib_version()') on 127.0.0.1:$port" >&2

echo "export LANDUSE_PG_DIR=$DIR"
echo "export LANDUSE_TEST_PG_URL=postgresql://landuse:${password}@127.0.0.1:${port}/landuse_test"
