#!/usr/bin/env bash
# tests/pg/pg_dump_restore_test.sh SCRIPTS_PG RETAIL_SERVER RETAILCTL: a
# backup of the server's PostgreSQL database with pg_dump, restored with
# pg_restore, serves as the original did (issue 16: "Backups use pg_dump or
# pg_basebackup, documented and tested once"). The commands are the README's
# runbook ("PostgreSQL", backup and restore).
#
# A real retail_server on a fresh database makes the data (customers, points,
# their events) through retailctl; `pg_dump -Fc` copies it while that server
# runs; `pg_restore` loads it into a new database; then checks: every
# table's row count and content (an md5 of its rows) and every sequence are
# equal in both databases; a second server on the restored database reads a
# customer back with its points and lists the same events up to the same
# sequence; and a new write there gets the next sequence, so watchers resume
# with `--after N` as on the original (nothing skipped, nothing reused).
#
# The cluster: the ctest fixture's (RETAIL_TEST_PG_DIR, tests/pg/CMakeLists.txt)
# when set, else a throwaway one of its own (scripts/pg, stopped at the end).
# pg_dump, pg_restore and psql are Debian's postgresql package's, found as
# scripts/pg finds initdb (pg_config --bindir, else /usr/lib/postgresql/15/bin);
# they are clients and run as the caller, reading the password from the
# URL's passfile. Everything is on loopback; every wait is bounded.
set -euo pipefail

pg="${1:?usage: pg_dump_restore_test.sh PATH_TO_scripts/pg RETAIL_SERVER RETAILCTL}"
server_bin="${2:?}"
ctl_bin="${3:?}"
T=60  # bound on every wait, in seconds

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '== %s (%ds)\n' "$*" "$SECONDS"; }
expect() {  # expect WHAT GOT WANT
  [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
  printf '   ok  %s = %s\n' "$1" "$2"
}

[[ -x "$server_bin" ]] || fail "$server_bin is not built"
[[ -x "$ctl_bin" ]] || fail "$ctl_bin is not built"
command -v python3 >/dev/null || fail "python3 is needed"
bindir=""
if command -v pg_config >/dev/null 2>&1; then
  bindir="$(pg_config --bindir 2>/dev/null || true)"
fi
[[ -x "$bindir/pg_dump" ]] || bindir=/usr/lib/postgresql/15/bin
for tool in pg_dump pg_restore psql; do
  [[ -x "$bindir/$tool" ]] ||
    fail "$tool not found in $bindir (scripts/setup installs postgresql)"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/pg-dump-test.XXXXXX")"
own_cluster=""
src_pid=""
dst_pid=""
src_db="dump_src_$$"
dst_db="dump_dst_$$"
cluster_url=""

# sql URL SQL...: psql, no psqlrc, stop at the first error, bounded.
sql() {
  local url="$1"; shift
  PGCONNECT_TIMEOUT=10 PGOPTIONS='-c client_min_messages=warning' \
    timeout "$T" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -At "$url" "$@"
}
# with_db NAME: the cluster's URL for database NAME (passfile kept).
with_db() {
  local base="${cluster_url%%\?*}" query=""
  [[ "$cluster_url" != *\?* ]] || query="?${cluster_url#*\?}"
  printf '%s/%s%s\n' "${base%/*}" "$1" "$query"
}

stop_server() {  # stop_server PID: SIGTERM, then wait (bounded)
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < T * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  stop_server "$src_pid"
  stop_server "$dst_pid"
  if ((status != 0)); then
    for log in "$work"/server-*.log; do
      [[ -f "$log" ]] || continue
      echo "--- end of $log" >&2
      tail -n 20 "$log" >&2 || true
    done
  fi
  if [[ -n "$cluster_url" ]]; then
    sql "$cluster_url" -c "DROP DATABASE IF EXISTS $src_db WITH (FORCE)" >/dev/null 2>&1 || true
    sql "$cluster_url" -c "DROP DATABASE IF EXISTS $dst_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [[ -n "$own_cluster" ]]; then
    timeout "$T" "$pg" stop "$own_cluster" >/dev/null 2>&1 || true
    rm -rf -- "$own_cluster"
  fi
  rm -rf -- "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "cluster"
if [[ -n "${RETAIL_TEST_PG_DIR:-}" && -s "${RETAIL_TEST_PG_DIR}/url" ]]; then
  cluster_url="$(cat "$RETAIL_TEST_PG_DIR/url")"
  echo "   the fixture's: $cluster_url"
else
  # Under /tmp: as root the cluster runs as the postgres user (scripts/pg).
  own_cluster="$(mktemp -d /tmp/pg-dump-cluster.XXXXXX)"
  cluster_url="$(timeout "$T" "$pg" start "$own_cluster")"
  echo "   its own: $cluster_url"
fi
sql "$cluster_url" -c "DROP DATABASE IF EXISTS $src_db WITH (FORCE)"
sql "$cluster_url" -c "CREATE DATABASE $src_db"
src_url="$(with_db "$src_db")"
dst_url="$(with_db "$dst_db")"

token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077 && printf 'sha256:%s admin admin\n' \
  "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" >"$work/auth.conf")
export RETAIL_TOKEN="$token"
unset RETAIL_CA_FILE RETAIL_CERT_FILE RETAIL_KEY_FILE RETAIL_STAFF
export XDG_CONFIG_HOME="$work"

# start_server NAME URL: retail_server on URL; sets $port and $pid_started.
start_server() {
  local name="$1" url="$2" i
  rm -f -- "$work/$name.port"
  "$server_bin" --db "$url" --listen 127.0.0.1:0 --port_file "$work/$name.port" \
    --auth_config "$work/auth.conf" --metrics_listen "" \
    --maintenance_interval_seconds 0 --drain_seconds 0 \
    >>"$work/server-$name.log" 2>&1 &
  pid_started=$!
  for ((i = 0; i < T * 10; i++)); do
    [[ -s "$work/$name.port" ]] && break
    kill -0 "$pid_started" 2>/dev/null || fail "the $name server exited at start-up"
    sleep 0.1
  done
  [[ -s "$work/$name.port" ]] || fail "the $name server wrote no --port_file in ${T}s"
  port="$(cat "$work/$name.port")"
}
# ctl ARGS: retailctl against the server started last; its notes on stderr
# (the request_id it used) go to a log.
ctl() {
  timeout "$T" "$ctl_bin" --addr "127.0.0.1:$port" --timeout 10 "$@" 2>>"$work/ctl.log"
}
# json_field FIELD: the first FIELD, at any depth, of the JSON on stdin
# (retailctl -o json keeps the proto's field names; int64 values are strings).
json_field() {
  python3 -c '
import json, sys
def find(d, k):
    if isinstance(d, dict):
        if k in d: return d[k]
        d = list(d.values())
    if isinstance(d, list):
        for v in d:
            r = find(v, k)
            if r is not None: return r
    return None
print(find(json.load(sys.stdin), sys.argv[1]))' "$1"
}
# last_sequence: the newest event's sequence, from `events list`'s
# progress_sequence (stderr).
last_sequence() {
  timeout "$T" "$ctl_bin" --addr "127.0.0.1:$port" --timeout 10 \
    events list --all -o json 2>&1 >/dev/null |
    sed -n 's/^progress_sequence: \([0-9]*\)$/\1/p'
}

step "data through a server on $src_db"
start_server src "$src_url"
src_pid="$pid_started"
ids=()
for i in 1 2 3 4 5; do
  id="$(ctl -o json customers create --name "备份 $i" --phone "1390000700$i" \
    --branch B001 --request-id "pgdump-create-$i" | json_field customer_id)"
  [[ "$id" =~ ^cus_ ]] || fail "create $i printed no customer id: '$id'"
  ids+=("$id")
done
ctl customers points adjust "${ids[0]}" --delta 120 --reason "dump test" \
  --request-id pgdump-points-1 >/dev/null
ctl customers points adjust "${ids[0]}" --delta -20 --reason "dump test" \
  --request-id pgdump-points-2 >/dev/null
events_before="$(last_sequence)"
if ! [[ "$events_before" =~ ^[0-9]+$ ]] || ((events_before < 7)); then
  fail "expected at least 7 events after 5 creates and 2 adjustments, progress_sequence '$events_before'"
fi
echo "   5 customers, 2 points adjustments, events up to $events_before"

step "pg_dump -Fc while the server runs"
timeout "$T" "$bindir/pg_dump" -Fc -d "$src_url" -f "$work/retail.dump"
[[ -s "$work/retail.dump" ]] || fail "pg_dump wrote nothing"
echo "   $(stat -c %s "$work/retail.dump") bytes"

step "pg_restore into a new database $dst_db"
sql "$cluster_url" -c "DROP DATABASE IF EXISTS $dst_db WITH (FORCE)"
# As the README has it: made from the server's own URL, UTF8 and C.UTF-8;
# all or nothing.
sql "$src_url" -c "CREATE DATABASE $dst_db TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'"
timeout "$T" "$bindir/pg_restore" --single-transaction --no-owner -d "$dst_url" "$work/retail.dump"
expect "collation of $dst_db" \
  "$(sql "$dst_url" -c "SELECT datcollate FROM pg_database WHERE datname = current_database()")" C.UTF-8

step "tables and sequences equal"
# One line per table (partitions and their parents alike): name, rows, md5
# of its rows in a fixed order; then every sequence's last value.
fingerprint() {
  local url="$1" tables t
  tables="$(sql "$url" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")"
  [[ -n "$tables" ]] || fail "no tables in $url"
  for t in $tables; do
    sql "$url" -c "SELECT '$t', COUNT(*), md5(COALESCE(string_agg(r::text, '|' ORDER BY r::text), '')) FROM \"$t\" r"
  done
  sql "$url" -c "SELECT sequencename, COALESCE(last_value, 0) FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
}
fingerprint "$src_url" >"$work/src.txt"
fingerprint "$dst_url" >"$work/dst.txt"
if ! diff -u "$work/src.txt" "$work/dst.txt"; then
  fail "the restored database differs from the original"
fi
echo "   ok  $(grep -c '|' "$work/src.txt") tables and sequences equal"
expect "customers restored" "$(sql "$dst_url" -c 'SELECT COUNT(*) FROM customers')" 5
expect "events restored" "$(sql "$dst_url" -c 'SELECT COUNT(*) FROM events')" \
  "$(sql "$src_url" -c 'SELECT COUNT(*) FROM events')"
stop_server "$src_pid"
src_pid=""

step "a server on the restored database"
start_server dst "$dst_url"
dst_pid="$pid_started"
got="$(ctl -o json customers get "${ids[0]}")"
expect "display name" "$(json_field display_name <<<"$got")" "备份 1"
expect "points balance" "$(json_field points_balance <<<"$got")" 100
listed="$(ctl -o json customers list --all | python3 -c '
import json, sys
text = sys.stdin.read()
# One JSON document per page, or a list: count the customers in either.
docs = json.loads("[" + text.replace("}\n{", "},\n{") + "]") if text.strip() else []
def count(d):
    if isinstance(d, list): return sum(count(x) for x in d)
    if isinstance(d, dict) and "customers" in d: return len(d["customers"])
    if isinstance(d, dict) and "customer_id" in d: return 1
    return 0
print(count(docs))')"
expect "customers listed" "$listed" 5
expect "events up to" "$(last_sequence)" "$events_before"

step "events resume after the restore"
id6="$(ctl -o json customers create --name "备份 6" --phone 13900007006 \
  --branch B001 --request-id pgdump-create-6 | json_field customer_id)"
[[ "$id6" =~ ^cus_ ]] || fail "the write after the restore printed no customer id"
new_events="$(ctl events list --after "$events_before" -o json |
  python3 -c '
import json, sys
text = sys.stdin.read()
seqs = [int(s) for s in __import__("re").findall(r"\"sequence\": \"?([0-9]+)", text)]
print(" ".join(map(str, seqs)))')"
expect "sequences after $events_before" "$new_events" "$((events_before + 1))"
expect "progress_sequence" "$(last_sequence)" "$((events_before + 1))"
stop_server "$dst_pid"
dst_pid=""
echo "PASS ($SECONDS s)"
