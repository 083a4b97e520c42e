#!/usr/bin/env bash
# End-to-end test of retailctl against a real retail_server.
#
# Usage: cli_e2e_test.sh RETAIL_SERVER RETAILCTL
#
# Starts the server on a free loopback port with a fresh database and auth
# config in a temp dir, then walks through what a support agent does:
# create, read, update, search, points, PII masking, branch isolation, error
# details, idempotent retry, graceful shutdown and restart (durability),
# export and erasure; plus server info, the --staff flag and times in the
# chain's time zone. Each step prints one line; the first failure stops the
# test and prints the server log.
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 RETAIL_SERVER RETAILCTL" >&2
  exit 2
fi
SERVER=$1
CTL=$2
PY=/usr/bin/python3

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if ((rc != 0)) && [[ -f "$tmp/server.log" ]]; then
    echo "--- server log (last 40 lines) ---" >&2
    tail -n 40 "$tmp/server.log" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

step() { printf '== %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  [[ "$3" == "$2" ]] || fail "$1: expected '$2', got '$3'"
}

# expect_fail CODE cmd...: the command must exit 1 and print
# "error: CODE: ..." on stderr. Its stderr is left in $tmp/err for more checks.
expect_fail() {
  local code=$1 rc=0
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  ((rc != 0)) || fail "expected $code, but succeeded: $*"
  grep -q "^error: $code:" "$tmp/err" ||
    fail "expected $code from: $*; stderr was: $(cat "$tmp/err")"
  ((rc == 1)) || fail "expected exit status 1 for $code, got $rc"
}

# json_get PATH < json: prints the value at a dotted path ("a.0.b"), or ""
# when absent (proto3 JSON leaves out empty fields).
json_get() {
  "$PY" -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    if isinstance(value, list):
        value = value[int(key)] if int(key) < len(value) else ""
    elif isinstance(value, dict):
        value = value.get(key, "")
    else:
        value = ""
print(json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value)
' "$1"
}

# json_len PATH < json: number of elements of the list at PATH (0 if absent).
json_len() {
  "$PY" -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value.get(key, []) if isinstance(value, dict) else []
print(len(value))
' "$1"
}

# ---- Config ----------------------------------------------------------------
ADMIN_TOKEN=e2e-admin-token-5f1c
AGENT_TOKEN=e2e-agent-token-8a2d
B001_TOKEN=e2e-b001-token-3c9e
B002_TOKEN=e2e-b002-token-7b4a

auth_line() {  # TOKEN PRINCIPAL ROLE [BRANCH]
  local hash
  hash=$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
  printf 'sha256:%s  %s  %s%s\n' "$hash" "$2" "$3" "${4:+  branch=$4}"
}
{
  auth_line "$ADMIN_TOKEN" e2e-admin admin
  auth_line "$AGENT_TOKEN" e2e-agent agent
  auth_line "$B001_TOKEN" store-b001 branch B001
  auth_line "$B002_TOKEN" store-b002 branch B002
} >"$tmp/auth.conf"
chmod 600 "$tmp/auth.conf"  # the server refuses one others could change

port=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
export RETAIL_ADDR="127.0.0.1:$port"
# Never pick up the developer's own token or token file.
unset RETAIL_TOKEN
export XDG_CONFIG_HOME="$tmp/config"

admin() { RETAIL_TOKEN=$ADMIN_TOKEN "$CTL" "$@"; }
agent() { RETAIL_TOKEN=$AGENT_TOKEN "$CTL" "$@"; }
b001() { RETAIL_TOKEN=$B001_TOKEN "$CTL" "$@"; }
b002() { RETAIL_TOKEN=$B002_TOKEN "$CTL" "$@"; }

start_server() {
  "$SERVER" --listen "127.0.0.1:$port" --db "$tmp/retail.db" \
    --auth_config "$tmp/auth.conf" >>"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    if admin --timeout 1 customers list --page-size 1 >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || fail "server exited during start-up"
    sleep 0.1
  done
  fail "server did not answer within 10 s"
}

stop_server() {
  local rc=0
  kill -TERM "$server_pid"
  wait "$server_pid" || rc=$?
  server_pid=""
  expect_eq "server exit status after SIGTERM" 0 "$rc"
}

# ---- Flow ------------------------------------------------------------------
step "start server on $RETAIL_ADDR"
start_server

step "no token -> UNAUTHENTICATED"
expect_fail UNAUTHENTICATED "$CTL" customers list

step "bad --staff (flag or RETAIL_STAFF) is a usage error (exit 2) naming the flag"
for bad in 'li si' 'a/b' "$(printf 'x%.0s' {1..65})"; do
  rc=0
  admin --staff "$bad" customers list >/dev/null 2>"$tmp/err" || rc=$?
  expect_eq "exit status for --staff '$bad'" 2 "$rc"
  grep -q -- "--staff" "$tmp/err" || fail "usage error does not name --staff"
done
rc=0
RETAIL_STAFF='li si' admin customers list >/dev/null 2>&1 || rc=$?
expect_eq "exit status for RETAIL_STAFF='li si'" 2 "$rc"

step "server info reports the chain's settings"
out=$(admin -o json server info)
expect_eq "time_zone" Asia/Shanghai "$(json_get time_zone <<<"$out")"
expect_eq "currency_code" CNY "$(json_get currency_code <<<"$out")"
[[ -n "$(json_get version <<<"$out")" ]] || fail "server info has no version: $out"
[[ "$(json_get services <<<"$out")" == *retail.customers.v1.CustomerService* ]] ||
  fail "server info does not list CustomerService: $out"
admin server info >"$tmp/out"
grep -q "^time_zone  *Asia/Shanghai$" "$tmp/out" ||
  fail "table output lacks the time zone: $(cat "$tmp/out")"

step "bad birthday is a usage error (exit 2) naming the flag"
rc=0
admin customers create --name X --birthday 1990-13-01 2>"$tmp/err" || rc=$?
expect_eq "exit status" 2 "$rc"
grep -q -- "--birthday" "$tmp/err" || fail "usage error does not name --birthday"

CREATE_RID=e2e-create-wang-0001
create_wang() {
  admin -o json customers create --name 王小明 --phone 13912345678 \
    --branch B001 --request-id "$CREATE_RID"
}

step "create 王小明 in B001"
out=$(create_wang)
id=$(json_get customer.customer_id <<<"$out")
[[ -n "$id" ]] || fail "create returned no customer_id: $out"
expect_eq "display_name" 王小明 "$(json_get customer.display_name <<<"$out")"
expect_eq "branch_id" B001 "$(json_get customer.branch_id <<<"$out")"
echo "   customer_id=$id"

step "get $id (table)"
admin customers get "$id" >"$tmp/out"
grep -q "王小明" "$tmp/out" || fail "table output lacks the name"
grep -q "^phone  *13912345678$" "$tmp/out" || fail "admin should see the phone"

step "update email"
out=$(admin -o json customers update "$id" --email wang.xm@example.com)
expect_eq "email" wang.xm@example.com "$(json_get customer.email <<<"$out")"
expect_eq "phone unchanged" 13912345678 "$(json_get customer.phone <<<"$out")"

step "search by phone"
out=$(admin -o json customers search --phone 13912345678)
expect_eq "search by phone" "$id" "$(json_get customers.0.customer_id <<<"$out")"

step "search by name substring 小明"
out=$(admin -o json customers search --name 小明)
expect_eq "search by name" "$id" "$(json_get customers.0.customer_id <<<"$out")"

step "points +100"
out=$(admin -o json customers points adjust "$id" --delta 100 --reason "welcome bonus")
expect_eq "balance after +100" 100 "$(json_get transaction.balance_after <<<"$out")"

step "points -30"
out=$(admin -o json customers points adjust "$id" --delta -30 --reason "redeemed coupon")
expect_eq "balance after -30" 70 "$(json_get transaction.balance_after <<<"$out")"
expect_eq "customer balance" 70 "$(json_get customer.points_balance <<<"$out")"

step "points list"
out=$(admin -o json customers points list "$id")
expect_eq "ledger entries" 2 "$(json_len transactions <<<"$out")"
expect_eq "first delta" 100 "$(json_get transactions.0.delta <<<"$out")"
expect_eq "second delta" -30 "$(json_get transactions.1.delta <<<"$out")"

step "agent sees the phone masked"
out=$(agent -o json customers get "$id")
expect_eq "masked phone" "139****5678" "$(json_get customer.phone <<<"$out")"

step "agent with --reveal-pii sees the full phone"
out=$(agent -o json customers get "$id" --reveal-pii)
expect_eq "revealed phone" 13912345678 "$(json_get customer.phone <<<"$out")"

step "branch B001 sees its customer"
out=$(b001 -o json customers get "$id")
expect_eq "B001 get" "$id" "$(json_get customer.customer_id <<<"$out")"

step "a valid --staff (and RETAIL_STAFF) is accepted on a store token"
out=$(b001 --staff cashier_07 -o json customers get "$id")
expect_eq "B001 get with --staff" "$id" "$(json_get customer.customer_id <<<"$out")"
out=$(RETAIL_STAFF=cashier-08 b001 -o json customers get "$id")
expect_eq "B001 get with RETAIL_STAFF" "$id" "$(json_get customer.customer_id <<<"$out")"

step "branch B002 gets NOT_FOUND"
expect_fail NOT_FOUND b002 customers get "$id"

step "duplicate phone -> ALREADY_EXISTS"
expect_fail ALREADY_EXISTS admin customers create --name 王小明二 \
  --phone 13912345678 --branch B001

step "bad phone -> INVALID_ARGUMENT naming customer.phone"
expect_fail INVALID_ARGUMENT admin customers create --name 李四 --phone 12345 \
  --branch B001
grep -q "field customer.phone" "$tmp/err" ||
  fail "no BadRequest violation for customer.phone: $(cat "$tmp/err")"

step "retry of create with the same --request-id returns the same customer"
out=$(create_wang)
expect_eq "retried customer_id" "$id" "$(json_get customer.customer_id <<<"$out")"

UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

step "table mode prints the generated request_id on stderr"
admin customers points adjust "$id" --delta 5 --reason "table check" \
  >"$tmp/out" 2>"$tmp/err"
grep -Eq "^request_id: $UUID_RE\$" "$tmp/err" ||
  fail "no request_id line on stderr: $(cat "$tmp/err")"
admin customers points adjust "$id" --delta -5 --reason "undo table check" \
  >/dev/null 2>&1

step "json mode prints the request_id on stderr too; stdout stays JSON"
admin -o json customers points adjust "$id" --delta 5 --reason "json check" \
  >"$tmp/out" 2>"$tmp/err"
rid_line=$(grep -E "^request_id: $UUID_RE\$" "$tmp/err") ||
  fail "no request_id line on stderr in json mode: $(cat "$tmp/err")"
rid=${rid_line#request_id: }
tx=$(json_get transaction.transaction_id <"$tmp/out")
[[ -n "$tx" ]] || fail "json stdout has no transaction: $(cat "$tmp/out")"
expect_eq "balance after json check" 75 "$(json_get transaction.balance_after <"$tmp/out")"

step "a script retries with the request_id from stderr and gets the first answer"
out=$(admin -o json customers points adjust "$id" --delta 5 \
  --reason "json check" --request-id "$rid" 2>"$tmp/err")
expect_eq "stderr of the retry" "request_id: $rid" "$(cat "$tmp/err")"
expect_eq "retried transaction_id" "$tx" "$(json_get transaction.transaction_id <<<"$out")"
expect_eq "balance after retry" 75 "$(json_get customer.points_balance <<<"$out")"
admin -o json customers points adjust "$id" --delta -5 \
  --reason "undo json check" >/dev/null 2>&1

step "table output shows times in the chain's zone (+08:00); JSON stays UTC"
json_time=$(admin -o json customers points list "$id" | json_get transactions.0.create_time)
[[ "$json_time" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]] ||
  fail "JSON create_time is not RFC 3339 UTC: $json_time"
# The same instant as Asia/Shanghai wall time (no DST there since 1991).
want=$("$PY" -c '
import datetime, sys
t = datetime.datetime.strptime(sys.argv[1][:19], "%Y-%m-%dT%H:%M:%S")
print((t + datetime.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S +08:00"))
' "$json_time")
admin customers points list "$id" >"$tmp/out" 2>"$tmp/err"
grep -qF "$want" "$tmp/out" ||
  fail "table lacks create_time '$want': $(cat "$tmp/out")"
[[ ! -s "$tmp/err" ]] || fail "unexpected stderr: $(cat "$tmp/err")"

step "SIGTERM stops the server with exit 0"
stop_server

step "restart on the same database"
start_server

step "data survived the restart"
out=$(admin -o json customers get "$id")
expect_eq "email after restart" wang.xm@example.com "$(json_get customer.email <<<"$out")"
expect_eq "points after restart" 70 "$(json_get customer.points_balance <<<"$out")"

step "export (JSON even in table mode)"
out=$(admin customers export "$id")
expect_eq "export phone" 13912345678 "$(json_get customer.phone <<<"$out")"
expect_eq "export ledger entries" 6 "$(json_len points_transactions <<<"$out")"

step "erase without --yes on a non-terminal is refused (exit 2)"
rc=0
admin customers erase "$id" --reason "ticket E2E-1" </dev/null >/dev/null 2>&1 || rc=$?
expect_eq "exit status" 2 "$rc"

step "erase --yes warns that --reason is kept in the audit log"
admin -o json customers erase "$id" --reason "ticket E2E-1" --yes \
  >"$tmp/out" 2>"$tmp/err"
grep -q "^warning: --reason is kept in the audit log.*must not name or describe the person" \
  "$tmp/err" || fail "no --reason warning on stderr: $(cat "$tmp/err")"
grep -Eq "^request_id: $UUID_RE\$" "$tmp/err" || fail "erase printed no request_id"
expect_eq "erased customer" "$id" "$(json_get customer.customer_id <"$tmp/out")"

step "get after erasure shows no phone"
out=$(admin -o json customers get "$id")
expect_eq "phone after erasure" "" "$(json_get customer.phone <<<"$out")"
expect_eq "email after erasure" "" "$(json_get customer.email <<<"$out")"

step "stop server"
stop_server
echo "PASS: cli_e2e"
