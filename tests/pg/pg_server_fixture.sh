#!/usr/bin/env bash
# tests/pg/pg_server_fixture.sh start|stop SCRIPTS_PG DIR: the ctest fixture
# pg_server (tests/pg/CMakeLists.txt). `start` brings up one throwaway
# cluster in DIR for every test that needs PostgreSQL; `stop` shuts it down.
#
# DIR is kept after the stop: the next run starts the same cluster without
# an initdb, each test's database stays for a look after a failure until
# that test runs again (FreshPgDatabase drops and recreates it), and
# removing some 300 files per test database took 20 s on a busy disk.
# rm -rf DIR when done with the build directory.
#
# A cluster still running in DIR from an earlier run that was cut short
# (scripts/pg start exits 3) is reused: its URL is still in DIR/url.
set -euo pipefail

cmd="${1:?usage: pg_server_fixture.sh start|stop SCRIPTS_PG DIR}"
pg="${2:?}"
dir="${3:?}"

case "$cmd" in
  start)
    status=0
    err="$("$pg" start "$dir" 2>&1 >/dev/null)" || status=$?
    if ((status == 3)); then
      echo "a cluster from an earlier run is still running in $dir: reusing it"
    else
      printf '%s\n' "$err" >&2
      ((status == 0)) || exit "$status"
    fi
    [[ -s "$dir/url" ]] || { echo "no URL in $dir/url" >&2; exit 1; }
    echo "PostgreSQL for the tests: $(cat "$dir/url")"
    ;;
  stop)
    "$pg" stop "$dir"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
