#!/usr/bin/env bash
# tests/pg/pg_cluster_test.sh SCRIPTS_PG [LIBPQ_PROBE]: the PostgreSQL test harness
# (scripts/pg, issue 16) works on this machine, with no running service.
#
# Starts a throwaway cluster in a temporary directory, then checks: psql
# connects with the printed URL (and not without the password); the server
# listens on 127.0.0.1 only, with fsync on; a SERIALIZABLE transaction
# commits; pg_advisory_lock excludes a second session; a second start is
# refused; a committed row survives a clean stop and restart, and a kill -9
# of the postmaster (stale postmaster.pid) and restart. Always stops the
# cluster and checks that no process of it is left. LIBPQ_PROBE (built from
# pg_libpq_probe.cc) connects with libpq to the same URL.
set -euo pipefail

pg="${1:?usage: pg_cluster_test.sh PATH_TO_scripts/pg [PATH_TO_pg_libpq_probe]}"
probe="${2:-}"
T=60   # bound on every wait, in seconds

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '== %s (%ds)\n' "$*" "$SECONDS"; }

command -v psql >/dev/null || fail "psql is not installed (scripts/setup installs postgresql)"

dir="$(mktemp -d "${TMPDIR:-/tmp}/pg-cluster-test.XXXXXX")"
name=""
cleanup() {
  local status=$?
  timeout "$T" "$pg" stop "$dir" >/dev/null 2>&1 || true
  if ((status != 0)) && [[ -f "$dir/log" ]]; then
    echo "--- end of $dir/log" >&2
    tail -n 30 "$dir/log" >&2 || true
  fi
  # Belt and braces: nothing of this cluster may outlive the test.
  pkill -9 -f -- "-D $dir/data" 2>/dev/null || true
  [[ -z "$name" ]] || pkill -9 -f -- "^postgres: $name: " 2>/dev/null || true
  rm -rf -- "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# sql URL SQL...: psql, no psqlrc, stop at the first error, bounded.
sql() {
  local url="$1"; shift
  PGCONNECT_TIMEOUT=10 timeout "$T" psql -X -q -v ON_ERROR_STOP=1 -At "$url" "$@"
}
expect() {  # expect WHAT GOT WANT
  [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
  printf '   ok  %s = %s\n' "$1" "$2"
}
# no_processes: no process of this cluster runs (postmaster or backend).
no_processes() {
  local deadline=$((SECONDS + T)) left
  while :; do
    left="$(pgrep -af -- "-D $dir/data" || true)"
    [[ -z "$name" ]] || left+="$(pgrep -af -- "^postgres: $name: " || true)"
    [[ -n "$left" ]] || return 0
    ((SECONDS < deadline)) || fail "processes left after stop: $left"
    sleep 0.2
  done
}

step "start in $dir"
url="$(timeout "$T" "$pg" start "$dir")"
[[ "$url" =~ ^postgresql://[a-z_][a-z0-9_-]*@127\.0\.0\.1:([0-9]+)/retail\?passfile= ]] ||
  fail "start printed '$url', not a postgresql://USER@127.0.0.1:PORT/retail URL"
port="${BASH_REMATCH[1]}"
expect "DIR/url" "$(cat "$dir/url")" "$url"
echo "   url $url"

step "connect, settings"
expect "current_database()" "$(sql "$url" -c 'SELECT current_database()')" retail
expect "fsync" "$(sql "$url" -c 'SHOW fsync')" on
expect "synchronous_commit" "$(sql "$url" -c 'SHOW synchronous_commit')" on
expect "listen_addresses" "$(sql "$url" -c 'SHOW listen_addresses')" 127.0.0.1
expect "server_version_num >= 150000" \
  "$(sql "$url" -c "SELECT current_setting('server_version_num')::int >= 150000")" t
name="$(sql "$url" -c 'SHOW cluster_name')"
# What the kernel says: every listening TCP socket on the port is 127.0.0.1
# (0100007F in /proc/net/tcp), and there is none on IPv6.
hexport="$(printf '%04X' "$port")"
listeners="$(awk -v p=":$hexport" '$4 == "0A" && $2 ~ p"$" {print $2}' /proc/net/tcp)"
expect "IPv4 listeners on $port" "$listeners" "0100007F:$hexport"
expect "IPv6 listeners on $port" \
  "$(awk -v p=":$hexport" '$4 == "0A" && $2 ~ p"$" {print $2}' /proc/net/tcp6 2>/dev/null)" ""
# The password is needed: the same URL without the passfile is refused.
if PGPASSFILE="$dir/no-such-file" PGCONNECT_TIMEOUT=10 timeout "$T" \
    psql -X -w -At "${url%%\?*}" -c 'SELECT 1' >/dev/null 2>&1; then
  fail "connected without the password"
fi
echo "   ok  no password, no connection"

if [[ -n "$probe" ]]; then
  step "libpq"
  [[ -x "$probe" ]] || fail "$probe is not built (cmake --build BUILD --target pg_libpq_probe)"
  timeout "$T" "$probe" "$url" || fail "pg_libpq_probe could not use $url"
fi

step "second start is refused"
status=0
timeout "$T" "$pg" start "$dir" >/dev/null 2>&1 || status=$?
expect "exit status of a second start" "$status" 3
expect "status" "$(timeout "$T" "$pg" status "$dir" | cut -d' ' -f1)" running

step "SERIALIZABLE write"
sql "$url" <<'EOF'
CREATE TABLE harness (id serial PRIMARY KEY, note text NOT NULL);
BEGIN ISOLATION LEVEL SERIALIZABLE;
INSERT INTO harness (note) VALUES ('before restart');
COMMIT;
EOF
expect "isolation inside the transaction" \
  "$(sql "$url" -c 'BEGIN ISOLATION LEVEL SERIALIZABLE' -c 'SHOW transaction_isolation' -c 'COMMIT')" \
  serializable
expect "row read back" "$(sql "$url" -c 'SELECT note FROM harness')" "before restart"

step "pg_advisory_lock"
# One session holds the lock while a second one (run from inside the first
# with \!) tries it: the second must not get it, and gets it once released.
got="$(sql "$url" <<EOF
SELECT pg_advisory_lock(16);
\\! PGCONNECT_TIMEOUT=10 timeout $T psql -X -At '$url' -c 'SELECT pg_try_advisory_lock(16)'
SELECT pg_advisory_unlock(16);
\\! PGCONNECT_TIMEOUT=10 timeout $T psql -X -At '$url' -c 'SELECT pg_try_advisory_lock(16)'
EOF
)"
# pg_advisory_lock returns void (an empty line): other session f, unlock t,
# other session t.
expect "lock; try from another session; unlock; try again" \
  "$(grep . <<<"$got" | tr '\n' ' ')" "f t t "

step "stop, restart, the row survived"
timeout "$T" "$pg" stop "$dir"
no_processes
expect "status after stop" "$(timeout "$T" "$pg" status "$dir" || true)" stopped
url2="$(timeout "$T" "$pg" start "$dir")"
expect "row after restart" "$(sql "$url2" -c 'SELECT note FROM harness')" "before restart"

step "kill -9 the postmaster, restart with its stale postmaster.pid"
sql "$url2" -c "INSERT INTO harness (note) VALUES ('before kill')"
pid="$(head -n 1 "$dir/data/postmaster.pid")"
kill -9 "$pid"
deadline=$((SECONDS + T))
while kill -0 "$pid" 2>/dev/null && [[ -r "/proc/$pid/cmdline" && -s "/proc/$pid/cmdline" ]]; do
  ((SECONDS < deadline)) || fail "postmaster $pid outlived kill -9 for ${T}s"
  sleep 0.1
done
[[ -f "$dir/data/postmaster.pid" ]] || fail "expected a stale postmaster.pid after kill -9"
url3="$(timeout "$T" "$pg" start "$dir")"
expect "rows after crash recovery" \
  "$(sql "$url3" -c "SELECT string_agg(note, ',' ORDER BY id) FROM harness")" \
  "before restart,before kill"

step "stop, stop again, nothing left"
timeout "$T" "$pg" stop "$dir"
timeout "$T" "$pg" stop "$dir"
no_processes
echo "PASS (${SECONDS}s)"
