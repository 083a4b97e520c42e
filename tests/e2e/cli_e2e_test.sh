#!/usr/bin/env bash
# End-to-end test of retailctl against a real retail_server.
#
# Usage: cli_e2e_test.sh RETAIL_SERVER RETAILCTL
#
# Starts the server on 127.0.0.1:0 (it writes the port it bound to
# --port_file) with a fresh database and auth config in a temp dir, then
# walks through what a support agent does: create, read, update, search,
# points, PII masking, branch isolation, error details, idempotent retry,
# graceful shutdown and restart (durability), export and erasure (every
# personal field and ledger reason gone from replies, replayed answers and
# the database file); a sale paid with points and cash, its returns, an
# exchange and the reconciliation; a complaint in traditional Chinese from
# intake to an unsatisfied close, its reopen and escalation, its clocks,
# history and stats, stale etags and an illegal transition, the SLA policy
# and a branch calendar; feedback with its analysis, escalation to a complaint
# and review flag, a survey of every question type, the satisfaction report
# and a follow-up visit; plus server info, the --staff flag and times in the
# chain's time zone. At the end, the server's log (text until the restart,
# --log_format json after it) must hold a call line for the calls made and no
# token, phone number, email, name or other personal text the test used.
# Each step prints one line; the first failure stops the test and prints the
# server log.
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
# Inside $(...) `exit` would end only the subshell and the check would go on
# with an empty value: a failure there stops the test itself (SIGUSR1).
trap 'exit 1' USR1
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  [[ "$BASHPID" == "$$" ]] || kill -USR1 "$$"
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

# json_query MODE PATH < json, PATH dotted ("a.0.b"); proto3 JSON leaves out
# empty fields, so an absent field is how a reply says "nothing".
#   get: prints the value (strings as they are, the rest as JSON); exit 3 if
#        PATH is absent
#   has: exit 0 if PATH is present, 1 if not
#   len: the number of elements of the list at PATH; 0 if its last key is
#        absent (an empty list), exit 3 if anything before it is absent
json_query() {
  "$PY" -c '
import json, sys
mode, path = sys.argv[1], sys.argv[2]
value = json.load(sys.stdin)
keys = path.split(".")
for i, key in enumerate(keys):
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        value = value[int(key)]
    elif isinstance(value, dict) and key in value:
        value = value[key]
    elif mode == "has":
        sys.exit(1)
    elif mode == "len" and i == len(keys) - 1 and isinstance(value, dict):
        print(0)
        sys.exit(0)
    else:
        sys.exit(3)
if mode == "has":
    sys.exit(0)
if mode == "len":
    if not isinstance(value, list):
        sys.exit(4)
    print(len(value))
    sys.exit(0)
print(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
' "$1" "$2"
}

# json_get PATH < json: the value at PATH. An absent PATH fails the test, so a
# check can never pass on a reply that simply lacks the field; check absence
# with expect_absent or json_has.
json_get() {
  local json rc=0
  json=$(cat)
  json_query get "$1" <<<"$json" || rc=$?
  ((rc == 0)) || fail "json_get: no '$1' in: $json"
}

# json_has PATH < json: succeeds if PATH is present.
json_has() { json_query has "$1"; }

# json_len PATH < json: number of elements of the list at PATH (0 if the list
# is absent; a missing parent fails the test).
json_len() {
  local json rc=0
  json=$(cat)
  json_query len "$1" <<<"$json" || rc=$?
  ((rc == 0)) || fail "json_len: no list '$1' in: $json"
}

# expect_absent WHAT PATH JSON: the reply must not have PATH.
expect_absent() {
  if json_has "$2" <<<"$3"; then
    fail "$1: expected no '$2', got '$(json_get "$2" <<<"$3")'"
  fi
}

# ---- Config ----------------------------------------------------------------
ADMIN_TOKEN=e2e-admin-token-5f1c
AGENT_TOKEN=e2e-agent-token-8a2d
B001_TOKEN=e2e-b001-token-3c9e
B002_TOKEN=e2e-b002-token-7b4a
AUDITOR_TOKEN=e2e-auditor-token-2d6f

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
  auth_line "$AUDITOR_TOKEN" e2e-auditor auditor
} >"$tmp/auth.conf"
chmod 600 "$tmp/auth.conf"  # the server refuses one others could change

# Never pick up the developer's own token or token file.
unset RETAIL_TOKEN
export XDG_CONFIG_HOME="$tmp/config"

admin() { RETAIL_TOKEN=$ADMIN_TOKEN "$CTL" "$@"; }
agent() { RETAIL_TOKEN=$AGENT_TOKEN "$CTL" "$@"; }
b001() { RETAIL_TOKEN=$B001_TOKEN "$CTL" "$@"; }
b002() { RETAIL_TOKEN=$B002_TOKEN "$CTL" "$@"; }
auditor() { RETAIL_TOKEN=$AUDITOR_TOKEN "$CTL" "$@"; }

# Port 0: the server binds a free port itself and writes it to --port_file
# once it serves (choosing a port here and binding it later races with other
# tests). Waits for that file, however long start-up takes, unless the server
# exits first; 60 s only bounds a hang. Arguments are more server flags.
start_server() {
  rm -f "$tmp/port"
  "$SERVER" --listen 127.0.0.1:0 --metrics_listen 127.0.0.1:0 --port_file "$tmp/port" --db "$tmp/retail.db" \
    --auth_config "$tmp/auth.conf" "$@" >>"$tmp/server.log" 2>&1 &
  server_pid=$!
  local waited=0
  until [[ -e "$tmp/port" ]]; do
    kill -0 "$server_pid" 2>/dev/null || fail "server exited during start-up"
    ((waited++ < 600)) || fail "no --port_file after 60 s"
    sleep 0.1
  done
  # Exactly the decimal port and a newline, never a partial write.
  [[ "$(cat "$tmp/port"; echo .)" =~ ^[1-9][0-9]*$'\n'\.$ ]] ||
    fail "--port_file holds '$(cat "$tmp/port")'"
  [[ ! -e "$tmp/port.tmp" ]] || fail "--port_file left its .tmp behind"
  RETAIL_ADDR="127.0.0.1:$(<"$tmp/port")"
  export RETAIL_ADDR
  echo "   serving on $RETAIL_ADDR"
}

stop_server() {
  local rc=0
  kill -TERM "$server_pid"
  wait "$server_pid" || rc=$?
  server_pid=""
  expect_eq "server exit status after SIGTERM" 0 "$rc"
}

# ---- Flow ------------------------------------------------------------------
step "start server on 127.0.0.1:0"
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

step "update email, birthday, gender, notes, preferences, marketing consent"
out=$(admin -o json customers update "$id" --email wang.xm@example.com \
  --birthday 1990-05-17 --gender male --notes "prefers calls after 18:00" \
  --styles casual --marketing-consent true)
expect_eq "email" wang.xm@example.com "$(json_get customer.email <<<"$out")"
expect_eq "phone unchanged" 13912345678 "$(json_get customer.phone <<<"$out")"
expect_eq "birthday year" 1990 "$(json_get customer.birthday.year <<<"$out")"
expect_eq "gender" GENDER_MALE "$(json_get customer.gender <<<"$out")"
expect_eq "notes" "prefers calls after 18:00" "$(json_get customer.notes <<<"$out")"
expect_eq "styles" '["casual"]' "$(json_get customer.preferences.styles <<<"$out")"
expect_eq "marketing_consent" true "$(json_get customer.marketing_consent <<<"$out")"

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

# ---- Orders: a store sale paid with points and cash -------------------------
step "orders: a member of B001 with 100 points"
out=$(b001 -o json customers create --name 李小红 --phone 13800138000)
member=$(json_get customer.customer_id <<<"$out")
b001 customers points adjust "$member" --delta 100 --reason "opening gift" \
  >/dev/null 2>&1

step "orders: the till's total must match (expected total 198.00 vs 200.00)"
expect_fail INVALID_ARGUMENT b001 orders create --customer "$member" \
  --item "A1001:2:99.00:T恤" --expected-total 200.00
grep -q "field expected_total" "$tmp/err" ||
  fail "no BadRequest violation for expected_total: $(cat "$tmp/err")"

step "orders: create from an items file; the server computes the total"
printf '[{"sku": "A1001", "name": "T恤", "quantity": 2, "unit_price": {"minor_units": 9900}}]' \
  >"$tmp/items.json"
out=$(b001 -o json orders create --customer "$member" \
  --items-file "$tmp/items.json" --expected-total 198.00)
order=$(json_get order.order_id <<<"$out")
expect_eq "order branch" B001 "$(json_get order.branch_id <<<"$out")"
expect_eq "order total" 19800 "$(json_get order.total.minor_units <<<"$out")"
expect_eq "new order status" ORDER_STATUS_PENDING_PAYMENT \
  "$(json_get order.status <<<"$out")"

step "orders: B002 cannot see B001's order"
expect_fail NOT_FOUND b002 orders get "$order"
expect_fail NOT_FOUND b002 orders pay "$order" --method cash --amount 1.00

step "orders: a declined WeChat payment is kept and the order stays payable"
out=$(b001 -o json orders pay "$order" --method wechat --amount 198.00 \
  --reference WX-E2E-1 --failed "余额不足")
expect_eq "after a failed tender" ORDER_STATUS_PENDING_PAYMENT \
  "$(json_get order.status <<<"$out")"
expect_eq "failed attempt kept" PAYMENT_OUTCOME_FAILED \
  "$(json_get payment.outcome <<<"$out")"

step "orders: 1.00 in points (100 points), then 197.00 cash makes it PAID"
out=$(b001 -o json orders pay "$order" --method points --amount 1.00)
expect_eq "points debited" 100 "$(json_get payment.points_debited <<<"$out")"
pay_rid=req-e2e-cash-1
out=$(b001 -o json orders pay "$order" --method cash --amount 197.00 \
  --request-id "$pay_rid")
expect_eq "paid order" ORDER_STATUS_PAID "$(json_get order.status <<<"$out")"
expect_eq "settlement total" 19800 \
  "$(json_get settlement.total.minor_units <<<"$out")"
expect_eq "tenders on the slip" 2 "$(json_len settlement.tenders <<<"$out")"

step "orders: the retried cash payment charges nothing twice"
out=$(b001 -o json orders pay "$order" --method cash --amount 197.00 \
  --request-id "$pay_rid")
expect_eq "payments after the retry" 3 "$(json_len order.payments <<<"$out")"
expect_fail FAILED_PRECONDITION b001 orders pay "$order" --method cash \
  --amount 1.00

step "orders: points earned on the cash part; the balance is the ledger's sum"
out=$(admin -o json customers get "$member")
expect_eq "balance: 100 - 100 + 197 earned" 197 \
  "$(json_get customer.points_balance <<<"$out")"
expect_eq "order count" 1 "$(json_get customer.order_count <<<"$out")"

step "orders: settlement slip by order, and the branch's slips for today"
out=$(b001 -o json settlements get --order "$order")
expect_eq "slip order" "$order" "$(json_get settlement.order_id <<<"$out")"
today=$(TZ=Asia/Shanghai date +%F)
out=$(b001 -o json settlements list --branch B001 --from "$today")
expect_eq "slips today in B001" 1 "$(json_len settlements <<<"$out")"
b001 settlements list --branch B001 --from "$today" >"$tmp/out"
grep -q "$order" "$tmp/out" || fail "slip table lacks the order: $(cat "$tmp/out")"

step "orders: complete the paid order"
out=$(b001 -o json orders complete "$order")
expect_eq "completed" ORDER_STATUS_COMPLETED "$(json_get order.status <<<"$out")"

step "orders: cancel a partly paid walk-in order; its cash is refunded"
out=$(b001 -o json orders create --item "B2002:1:50.00:袜子")
walkin=$(json_get order.order_id <<<"$out")
b001 orders pay "$walkin" --method cash --amount 20.00 >/dev/null 2>&1
out=$(b001 -o json orders cancel "$walkin" --reason "顾客改变主意")
expect_eq "cancelled" ORDER_STATUS_CANCELLED "$(json_get order.status <<<"$out")"
expect_eq "refunds" 1 "$(json_len order.refunds <<<"$out")"
expect_eq "refunded amount" 2000 \
  "$(json_get order.refunds.0.amount.minor_units <<<"$out")"

step "orders: list B001's orders as a table"
b001 orders list --branch B001 >"$tmp/out"
grep -q "$order" "$tmp/out" && grep -q "$walkin" "$tmp/out" ||
  fail "order table lacks an order: $(cat "$tmp/out")"

step "settlements: reconcile B001's day; cash sales 197.00, cash refunds 20.00"
b001 settlements reconcile --branch B001 --date "$today" >"$tmp/out"
grep -q "Cash" "$tmp/out" && grep -q "197.00" "$tmp/out" ||
  fail "reconciliation table lacks the cash row: $(cat "$tmp/out")"
out=$(b001 -o json settlements reconcile --branch B001 --date "$today")
expect_eq "first method" PAYMENT_METHOD_CASH \
  "$(json_get reconciliation.methods.0.method <<<"$out")"
expect_eq "cash sales" 19700 \
  "$(json_get reconciliation.methods.0.sales.minor_units <<<"$out")"
expect_eq "cash refunds" 2000 \
  "$(json_get reconciliation.methods.0.refunds.minor_units <<<"$out")"

# ---- Returns and exchanges: the rest of the sale-to-return story ------------
step "returns: 2 T恤 and socks for the member, 1.00 in points then 217.00 cash, completed"
out=$(b001 -o json orders create --customer "$member" \
  --item "A1001:2:99.00:T恤" --item "B2002:1:20.00:袜子" --expected-total 218.00)
rorder=$(json_get order.order_id <<<"$out")
out=$(b001 -o json orders pay "$rorder" --method points --amount 1.00)
points_pay=$(json_get payment.payment_id <<<"$out")
out=$(b001 -o json orders pay "$rorder" --method cash --amount 217.00)
cash_pay=$(json_get payment.payment_id <<<"$out")
expect_eq "split-paid order" ORDER_STATUS_PAID "$(json_get order.status <<<"$out")"
expect_eq "points earned on the cash" 217 "$(json_get order.points_earned <<<"$out")"
b001 orders complete "$rorder" >/dev/null 2>&1
out=$(admin -o json customers get "$member")
expect_eq "balance: 197 - 100 + 217" 314 "$(json_get customer.points_balance <<<"$out")"

step "returns: the customer spends 300 points before coming back (balance 14)"
out=$(b001 -o json customers points adjust "$member" --delta -300 \
  --reason "redeemed for a gift")
expect_eq "balance after spending" 14 "$(json_get customer.points_balance <<<"$out")"

step "returns: bad lines are usage errors (exit 2) naming the flag"
for args in "--type return --line A1001:1:too-big" \
  "--type exchange --line A1001:1:size" \
  "--type return --line A1001:1:size --replace A1001=A1002:109.00:T恤" \
  "--type exchange --line A1001:1:size --replace A1001=A1002:1.999:T恤"; do
  rc=0
  # shellcheck disable=SC2086  # $args is several words on purpose
  b001 returns request --order "$rorder" $args >/dev/null 2>"$tmp/err" || rc=$?
  expect_eq "exit status for: $args" 2 "$rc"
  grep -Eq -- "--(line|replace)" "$tmp/err" ||
    fail "usage error does not name the flag: $(cat "$tmp/err")"
done

step "returns: policy and field errors name the rule or the field"
expect_fail FAILED_PRECONDITION b001 returns request --order "$rorder" \
  --type return --line A1001:3:size
grep -q "reason RETURN_QUANTITY_EXCEEDED" "$tmp/err" ||
  fail "no RETURN_QUANTITY_EXCEEDED: $(cat "$tmp/err")"
expect_fail INVALID_ARGUMENT b001 returns request --order "$rorder" \
  --type return --line Z9999:1:size
grep -q "field lines\[0\].sku" "$tmp/err" ||
  fail "no violation for lines[0].sku: $(cat "$tmp/err")"

step "returns: request a partial return of one T恤 (table; request_id on stderr)"
b001 returns request --order "$rorder" --type return \
  --line "A1001:1:size:too small" >"$tmp/out" 2>"$tmp/err"
grep -Eq "^request_id: $UUID_RE\$" "$tmp/err" ||
  fail "no request_id line on stderr: $(cat "$tmp/err")"
grep -q "^status  *REQUESTED$" "$tmp/out" && grep -q "^refund_total  *99.00 CNY$" "$tmp/out" &&
  grep -Eq "^A1001  +1  +size  +99.00 CNY  +too small$" "$tmp/out" ||
  fail "request table: $(cat "$tmp/out")"
ret1=$(sed -n 's/^return_id  *//p' "$tmp/out")
[[ "$ret1" == ret_* ]] || fail "no return_id in: $(cat "$tmp/out")"
expect_fail NOT_FOUND b002 returns get "$ret1"

step "returns: approve (staff named), receive the goods back"
out=$(b001 --staff mgr-01 -o json returns review "$ret1" --approve --note "tag still on")
expect_eq "approved" RETURN_STATUS_APPROVED "$(json_get order_return.status <<<"$out")"
expect_eq "reviewed_by" mgr-01 "$(json_get order_return.reviewed_by <<<"$out")"
expect_fail FAILED_PRECONDITION b001 returns complete "$ret1"
grep -q "reason RETURN_STATE" "$tmp/err" || fail "no RETURN_STATE: $(cat "$tmp/err")"
out=$(b001 -o json returns receive "$ret1" --condition resalable)
expect_eq "received" RETURN_STATUS_RECEIVED "$(json_get order_return.status <<<"$out")"
expect_eq "condition" ITEM_CONDITION_RESALABLE \
  "$(json_get order_return.condition <<<"$out")"

step "returns: complete; the cash comes back with the till's reference, the shortfall shows"
complete_rid=req-e2e-return-1
b001 returns complete "$ret1" --refund-ref "$cash_pay=POS-R-0001" \
  --request-id "$complete_rid" >"$tmp/out" 2>/dev/null
grep -Eq "^Cash 现金  +99.00 CNY  +0  +POS-R-0001  +$cash_pay\$" "$tmp/out" ||
  fail "no cash refund row: $(cat "$tmp/out")"
grep -q "^Points 积分: 0 restored .*, 14 earned points taken back, shortfall 85$" "$tmp/out" ||
  fail "no points line: $(cat "$tmp/out")"
grep -q "^Points shortfall 积分不足: 85 points earned on order $rorder" "$tmp/out" ||
  fail "shortfall not shown: $(cat "$tmp/out")"
grep -q "^Order 原订单 $rorder: now PARTIALLY_RETURNED, total 218.00 CNY, paid after refunds 119.00 CNY$" \
  "$tmp/out" || fail "no order line: $(cat "$tmp/out")"

step "returns: a retried complete (same request_id) refunds nothing twice"
out=$(b001 -o json returns complete "$ret1" --refund-ref "$cash_pay=POS-R-0001" \
  --request-id "$complete_rid")
expect_eq "refunds on the return" 1 "$(json_len order_return.refunds <<<"$out")"
expect_eq "refund method" PAYMENT_METHOD_CASH \
  "$(json_get order_return.refunds.0.method <<<"$out")"
expect_eq "refund reference" POS-R-0001 \
  "$(json_get order_return.refunds.0.external_reference <<<"$out")"
expect_eq "points reversed" 14 "$(json_get order_return.points_reversed <<<"$out")"
expect_eq "points shortfall" 85 "$(json_get order_return.points_shortfall <<<"$out")"
out=$(b001 -o json orders get "$rorder")
expect_eq "refunds on the order" 1 "$(json_len order.refunds <<<"$out")"
expect_eq "refund's return" "$ret1" "$(json_get order.refunds.0.return_id <<<"$out")"
expect_eq "order paid after the return" 11900 \
  "$(json_get order.paid.minor_units <<<"$out")"
b001 orders get "$rorder" >"$tmp/out"
grep -q "^refunds\[0\]\.return_id  *$ret1$" "$tmp/out" ||
  fail "orders get table lacks the refund's return: $(cat "$tmp/out")"
# (0 is left out of proto3 JSON; the table shows it.)
admin customers get "$member" >"$tmp/out"
grep -q "^points_balance  *0$" "$tmp/out" ||
  fail "balance should be 0 (14 taken back, none below zero): $(cat "$tmp/out")"

step "returns: exchange the other T恤 for size L at 109.00; the customer pays 10.00"
out=$(b001 -o json returns request --order "$rorder" --type exchange \
  --line A1001:1:size --replace "A1001=A1002:109.00:T恤 L码")
ret2=$(json_get order_return.return_id <<<"$out")
expect_eq "replacement sku" A1002 \
  "$(json_get order_return.lines.0.replacement.sku <<<"$out")"
expect_eq "replacement quantity: as many as come back" 1 \
  "$(json_get order_return.lines.0.replacement.quantity <<<"$out")"
b001 returns review "$ret2" --approve >/dev/null 2>&1
b001 returns receive "$ret2" --condition opened --note "worn once" >/dev/null 2>&1
b001 returns complete "$ret2" >"$tmp/out" 2>/dev/null
grep -Eq "^Exchange credit 换货抵扣  +99.00 CNY  +0  +-  +$cash_pay\$" "$tmp/out" ||
  fail "no exchange credit row: $(cat "$tmp/out")"
new=$(sed -n 's/^exchange_order_id  *//p' "$tmp/out")
[[ "$new" == ord_* ]] || fail "no exchange_order_id in: $(cat "$tmp/out")"
grep -q "^Exchange order 换货新单 $new: PENDING_PAYMENT$" "$tmp/out" &&
  grep -Eq "^  total 新单金额  +109.00 CNY$" "$tmp/out" &&
  grep -Eq "^  exchange credit 换货抵扣  +99.00 CNY$" "$tmp/out" &&
  grep -Eq "^  to pay 应补差价  +10.00 CNY$" "$tmp/out" &&
  grep -q "^  retailctl orders pay $new --method cash --amount 10.00$" "$tmp/out" ||
  fail "exchange order lines: $(cat "$tmp/out")"
out=$(b001 -o json orders get "$new")
expect_eq "new order's origin" "$ret2" "$(json_get order.exchange_return_id <<<"$out")"
expect_eq "credit tender" PAYMENT_METHOD_EXCHANGE_CREDIT \
  "$(json_get order.payments.0.method <<<"$out")"
b001 orders get "$new" >"$tmp/out"
grep -q "^exchange_return_id  *$ret2$" "$tmp/out" &&
  grep -q "^payments\[0\]\.method  *EXCHANGE_CREDIT$" "$tmp/out" ||
  fail "orders get table of the exchange order: $(cat "$tmp/out")"
out=$(b001 -o json orders pay "$new" --method cash --amount 10.00)
expect_eq "exchange order paid" ORDER_STATUS_PAID "$(json_get order.status <<<"$out")"

step "returns: the socks come back too; the points tender is refunded, the order is RETURNED"
out=$(b001 -o json returns request --order "$rorder" --type return \
  --line "B2002:1:quality-defect:hole in the heel")
ret3=$(json_get order_return.return_id <<<"$out")
b001 returns review "$ret3" --approve >/dev/null 2>&1
b001 returns receive "$ret3" --condition defective >/dev/null 2>&1
b001 returns complete "$ret3" >"$tmp/out" 2>/dev/null
grep -Eq "^Cash 现金  +19.00 CNY  +0  +-  +$cash_pay\$" "$tmp/out" &&
  grep -Eq "^Points 积分抵扣  +1.00 CNY  +100  +-  +$points_pay\$" "$tmp/out" ||
  fail "refund rows: $(cat "$tmp/out")"
grep -q "^Points 积分: 100 restored .*, 19 earned points taken back, shortfall 0$" "$tmp/out" ||
  fail "no points line: $(cat "$tmp/out")"
grep -q "^Order 原订单 $rorder: now RETURNED" "$tmp/out" ||
  fail "order not RETURNED: $(cat "$tmp/out")"
out=$(admin -o json customers get "$member")
expect_eq "balance: 0 + 10 earned on the exchange + 100 - 19" 91 \
  "$(json_get customer.points_balance <<<"$out")"
ledger_sum=$(admin -o json customers points list "$member" --page-size 1000 |
  "$PY" -c 'import json, sys
print(sum(int(t["delta"]) for t in json.load(sys.stdin)["transactions"]))')
expect_eq "the balance is the ledger's sum" 91 "$ledger_sum"

step "returns: list the order's returns"
b001 returns list --order "$rorder" >"$tmp/out"
for r in "$ret1" "$ret2" "$ret3"; do
  grep -Eq "^$r  +$rorder  +B001  +$member  +(RETURN|EXCHANGE)  +COMPLETED  " "$tmp/out" ||
    fail "return list lacks $r: $(cat "$tmp/out")"
done
out=$(b001 -o json returns list --branch B001 --status completed --page-size 1 --all)
expect_eq "completed returns in B001" 3 "$(json_len order_returns <<<"$out")"
out=$(b002 -o json returns list --order "$rorder")
expect_eq "B002 lists none of B001's returns" 0 "$(json_len order_returns <<<"$out")"

step "settlements: reconcile shows the refunds and the exchange credit"
b001 settlements reconcile --branch B001 --date "$today" >"$tmp/out"
# Exchange credit: a sale on the new order's slip and a refund on the
# original, taken and given back the same day, so its drawer is 0.00.
grep -Eq "^Exchange credit 换货抵扣  +99.00  +1  +99.00  +1  +0.00  +99.00  +1  +0.00$" "$tmp/out" ||
  fail "no exchange credit row: $(cat "$tmp/out")"
out=$(b001 -o json settlements reconcile --branch B001 --date "$today")
# Cash: sales 197.00 + 217.00 + 10.00; refunds 20.00 (cancel) + 99.00 + 19.00.
expect_eq "cash sales" 42400 \
  "$(json_get reconciliation.methods.0.sales.minor_units <<<"$out")"
expect_eq "cash refunds" 13800 \
  "$(json_get reconciliation.methods.0.refunds.minor_units <<<"$out")"
expect_eq "cash refund count" 3 \
  "$(json_get reconciliation.methods.0.refund_count <<<"$out")"
# The till: cash taken 197.00 + 20.00 (the cancelled order's) + 217.00 +
# 10.00 = 444.00; the drawer holds that less 138.00 given back.
expect_eq "cash taken" 44400 \
  "$(json_get reconciliation.methods.0.tendered.minor_units <<<"$out")"
expect_eq "cash drawer" 30600 \
  "$(json_get reconciliation.methods.0.drawer.minor_units <<<"$out")"
expect_eq "second method" PAYMENT_METHOD_POINTS \
  "$(json_get reconciliation.methods.1.method <<<"$out")"
expect_eq "points refunds" 100 \
  "$(json_get reconciliation.methods.1.refunds.minor_units <<<"$out")"
expect_eq "third method" PAYMENT_METHOD_EXCHANGE_CREDIT \
  "$(json_get reconciliation.methods.2.method <<<"$out")"
expect_eq "total refunds" 23800 \
  "$(json_get reconciliation.totals.refunds.minor_units <<<"$out")"
expect_absent "discrepancies" reconciliation.discrepancies "$out"

# ---- Complaints: intake to close, three SLA clocks, policy and calendars ----
# shanghai_re RFC3339: the instant as a table shows it in the chain's zone, as
# an extended regular expression ("2026-12-02 10:00:00 \+08:00").
shanghai_re() {
  "$PY" -c '
import datetime, sys
t = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
t = t.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
print(t.strftime("%Y-%m-%d %H:%M:%S \\+08:00"))
' "$1"
}
# seconds_between RFC3339 RFC3339: whole seconds from the first to the second.
seconds_between() {
  "$PY" -c '
import datetime, sys
a, b = (datetime.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in sys.argv[1:3])
print(round((b - a).total_seconds()))
' "$1" "$2"
}

step "complaints: 李小红 complains in traditional Chinese (退換貨); topics and keywords are printed"
b001 complaints create --customer "$member" --order "$rorder" --channel wechat \
  --category return-exchange --severity moderate --subject "退換貨太慢了" \
  --description "退換貨太慢了，客服態度也不好" >"$tmp/out" 2>"$tmp/err"
grep -Eq "^request_id: $UUID_RE\$" "$tmp/err" ||
  fail "no request_id line on stderr: $(cat "$tmp/err")"
cmp1=$(sed -n 's/^complaint_id  *//p' "$tmp/out")
[[ "$cmp1" == cmp_* ]] || fail "no complaint_id in: $(cat "$tmp/out")"
grep -q "^status  *NEW$" "$tmp/out" && grep -q "^order_id  *$rorder$" "$tmp/out" &&
  grep -q "^channel  *WECHAT$" "$tmp/out" ||
  fail "create table: $(cat "$tmp/out")"
# Read as simplified Chinese by the analyser: 退換貨 -> 退换货, 態度 -> 态度.
grep -Eq "^topics  +(.*, )?returns_exchanges(,|$)" "$tmp/out" &&
  grep -Eq "^topics  +(.*, )?staff_attitude(,|$)" "$tmp/out" ||
  fail "topics: $(grep '^topics' "$tmp/out")"
grep -Eq "^keywords  +(.*, )?退换货(,|$)" "$tmp/out" &&
  grep -Eq "^keywords  +(.*, )?态度(,|$)" "$tmp/out" ||
  fail "keywords: $(grep '^keywords' "$tmp/out")"
expect_fail NOT_FOUND b002 complaints get "$cmp1"

step "complaints: three clocks due 24h / 3d / 7d after intake, shown in the chain's zone"
out=$(b001 -o json complaints get "$cmp1")
created=$(json_get complaint.create_time <<<"$out")
i=0
for want in 86400 259200 604800; do
  expect_eq "clock $i state" CLOCK_STATE_RUNNING "$(json_get "complaint.clocks.$i.state" <<<"$out")"
  expect_eq "clock $i due after intake" "$want" \
    "$(seconds_between "$created" "$(json_get "complaint.clocks.$i.due_time" <<<"$out")")"
  i=$((i + 1))
done
due1=$(shanghai_re "$(json_get complaint.clocks.0.due_time <<<"$out")")
e0=$(json_get complaint.etag <<<"$out")
b001 complaints get "$cmp1" >"$tmp/out"
grep -Eq "^first response 首次响应  +running 计时中  +24h  +$due1  +(1d|23h 59m) left  +-\$" "$tmp/out" &&
  grep -Eq "^solution 解决方案  +running 计时中  +3d  +[0-9-]{10} [0-9:]{8} \+08:00  +(3d|2d 23h) left  +-\$" "$tmp/out" &&
  grep -Eq "^closure 结案回访  +running 计时中  +7d  +[0-9-]{10} [0-9:]{8} \+08:00  +(7d|6d 23h) left  +-\$" "$tmp/out" ||
  fail "clock table (first response due $due1): $(cat "$tmp/out")"

step "complaints: an agent sees the customer masked, unmasked with --reveal"
out=$(agent -o json complaints get "$cmp1")
expect_eq "masked phone" "138****8000" "$(json_get complaint.customer_phone <<<"$out")"
out=$(agent -o json complaints get "$cmp1" --reveal)
expect_eq "revealed phone" 13800138000 "$(json_get complaint.customer_phone <<<"$out")"

step "complaints: assign with the etag read (NEW -> ACKNOWLEDGED); that etag is then stale"
out=$(b001 --staff mgr-01 -o json complaints assign "$cmp1" --owner agent-zhang \
  --team 客服一组 --etag "$e0")
expect_eq "assigned" COMPLAINT_STATUS_ACKNOWLEDGED "$(json_get complaint.status <<<"$out")"
expect_eq "owner" agent-zhang "$(json_get complaint.owner_id <<<"$out")"
e1=$(json_get complaint.etag <<<"$out")
[[ "$e1" != "$e0" ]] || fail "the etag did not change on assign: $e1"
expect_fail FAILED_PRECONDITION b001 complaints escalate "$cmp1" --etag "$e0" \
  --reason "acting on a stale read"
grep -q "^  reason ETAG_MISMATCH current_etag=$e1$" "$tmp/err" ||
  fail "no ETAG_MISMATCH naming $e1: $(cat "$tmp/err")"

step "complaints: respond --wait without --etag (read now, said on stderr); first response met, clocks paused"
b001 complaints respond "$cmp1" --message "您好，我们正在核实退货进度，请提供快递单号" \
  --wait >"$tmp/out" 2>"$tmp/err"
grep -q "^etag: $e1 (read now)$" "$tmp/err" || fail "no etag line on stderr: $(cat "$tmp/err")"
grep -q "^status  *WAITING_ON_CUSTOMER$" "$tmp/out" ||
  fail "not waiting on the customer: $(cat "$tmp/out")"
grep -Eq "^first response 首次响应  +met 达标  +24h  +$due1  +(1d|23h 59m) to spare  " "$tmp/out" &&
  grep -Eq "^solution 解决方案  +paused 已暂停  +3d  +.* left \(paused\)  " "$tmp/out" &&
  grep -Eq "^closure 结案回访  +paused 已暂停  +7d  +.* left \(paused\)  " "$tmp/out" ||
  fail "clocks while waiting: $(cat "$tmp/out")"
agent complaints list --status waiting-on-customer >"$tmp/out"
grep -Eq "^$cmp1  +WAITING_ON_CUSTOMER  +MODERATE  +agent-zhang  +-  +paused  +0  +no\$" "$tmp/out" ||
  fail "list while waiting: $(cat "$tmp/out")"

step "complaints: the customer replies (clocks resume); closing now is an illegal transition naming both states"
out=$(b001 -o json complaints contact "$cmp1" --replied --note "顾客已提供单号 SF1234567")
expect_eq "resumed" COMPLAINT_STATUS_IN_PROGRESS "$(json_get complaint.status <<<"$out")"
expect_fail FAILED_PRECONDITION b001 complaints close "$cmp1" --satisfied
grep -q "is IN_PROGRESS; it cannot become CLOSED" "$tmp/err" &&
  grep -q "^  reason ILLEGAL_TRANSITION .*current_status=COMPLAINT_STATUS_IN_PROGRESS requested_status=COMPLAINT_STATUS_CLOSED" "$tmp/err" ||
  fail "illegal transition error: $(cat "$tmp/err")"

step "complaints: malformed transitions are usage errors (exit 2) naming the flag"
for args in "close $cmp1 --satisfied --unsatisfied" "close $cmp1 --satisfied --score 6" \
  "respond $cmp1 --message x --internal --wait" "propose $cmp1 --remedy cash --description x" \
  "list --due-before tomorrow" "stats --from 2026-13-01 --to 2026-12-31"; do
  rc=0
  # shellcheck disable=SC2086  # $args is several words on purpose
  b001 complaints $args >/dev/null 2>"$tmp/err" || rc=$?
  expect_eq "exit status for: $args" 2 "$rc"
  grep -Eq -- "--(satisfied|unsatisfied|score|internal|wait|remedy|due-before|from)" "$tmp/err" ||
    fail "usage error does not name the flag: $(cat "$tmp/err")"
done

step "complaints: propose an exchange carried out by the return, resolve; unreachable needs 3 failed attempts"
out=$(b001 -o json complaints propose "$cmp1" --remedy exchange \
  --description "换货并补偿20元优惠券" --return "$ret1")
expect_eq "proposed" COMPLAINT_STATUS_SOLUTION_PROPOSED "$(json_get complaint.status <<<"$out")"
expect_eq "solution's return" "$ret1" "$(json_get complaint.solution.return_id <<<"$out")"
expect_eq "solution clock" CLOCK_STATE_MET "$(json_get complaint.clocks.1.state <<<"$out")"
out=$(b001 -o json complaints resolve "$cmp1" --note "换货已发出")
expect_eq "resolved" COMPLAINT_STATUS_RESOLVED "$(json_get complaint.status <<<"$out")"
out=$(b001 -o json complaints contact "$cmp1" --failed --note "电话无人接听")
expect_eq "failed attempts" 1 "$(json_get complaint.failed_contact_attempts <<<"$out")"
expect_fail FAILED_PRECONDITION b001 complaints close "$cmp1" --unreachable
grep -q "^  reason CONTACT_ATTEMPTS_NEEDED failed_contact_attempts=1 required=3$" "$tmp/err" ||
  fail "no CONTACT_ATTEMPTS_NEEDED: $(cat "$tmp/err")"

step "complaints: close unsatisfied with score 2 (every clock stops), reopen (clocks restart), escalate"
b001 complaints close "$cmp1" --unsatisfied --score 2 --note "还是太慢" >"$tmp/out" 2>/dev/null
grep -q "^status  *CLOSED$" "$tmp/out" && grep -q "^confirmation  *UNSATISFIED$" "$tmp/out" &&
  grep -q "^satisfaction_score  *2$" "$tmp/out" &&
  [[ $(grep -Ec "^(first response|solution|closure) .*  met 达标  " "$tmp/out") == 3 ]] ||
  fail "close table: $(cat "$tmp/out")"
out=$(b001 -o json complaints reopen "$cmp1" --reason "顾客仍不满意")
expect_eq "reopened" COMPLAINT_STATUS_REOPENED "$(json_get complaint.status <<<"$out")"
expect_eq "reopen count" 1 "$(json_get complaint.reopen_count <<<"$out")"
expect_eq "first response clock again" CLOCK_STATE_RUNNING \
  "$(json_get complaint.clocks.0.state <<<"$out")"
expect_eq "due 24h after the reopen" 86400 \
  "$(seconds_between "$(json_get complaint.update_time <<<"$out")" \
    "$(json_get complaint.clocks.0.due_time <<<"$out")")"
out=$(b001 -o json complaints escalate "$cmp1" --reason "顾客要求主管处理")
expect_eq "escalation level" 1 "$(json_get complaint.escalation_level <<<"$out")"

step "complaints: list --by-due shows what burns next with the time left"
due1=$(shanghai_re "$(json_get complaint.next_due_time <<<"$out")")
agent complaints list --by-due >"$tmp/out"
grep -Eq "^$cmp1  +REOPENED  +MODERATE  +agent-zhang  +$due1  +(1d|23h 59m) left  +1  +no\$" "$tmp/out" ||
  fail "list --by-due: $(cat "$tmp/out")"
out=$(agent -o json complaints list --by-due --branch B001 --min-level 1)
expect_eq "escalated complaints in B001" 1 "$(json_len complaints <<<"$out")"

step "complaints: history, every step with who and when, page by page"
out=$(b001 -o json complaints history "$cmp1" --page-size 4 --all)
kinds=$("$PY" -c 'import json, sys
print(" ".join(e["kind"][len("HISTORY_KIND_"):] for e in json.load(sys.stdin)["entries"]))' <<<"$out")
expect_eq "history" "CREATED ASSIGNED RESPONDED CLOCK_STOPPED PAUSED CUSTOMER_REPLIED RESUMED SOLUTION_PROPOSED CLOCK_STOPPED RESOLVED CONTACT_FAILED CLOSED CLOCK_STOPPED REOPENED ESCALATED" "$kinds"
b001 complaints history "$cmp1" --all >"$tmp/out"
grep -Eq "  ASSIGNED  +NEW → ACKNOWLEDGED  +store-b001 \(mgr-01\)  +owner agent-zhang, team 客服一组\$" "$tmp/out" &&
  grep -Eq "  PAUSED  +IN_PROGRESS → WAITING_ON_CUSTOMER  +store-b001" "$tmp/out" &&
  grep -Eq "  ESCALATED  +REOPENED  +store-b001  +level 1; 顾客要求主管处理\$" "$tmp/out" ||
  fail "history table: $(cat "$tmp/out")"

step "complaints: stats since yesterday: reopen rate, satisfaction, the top recurring problems"
# Dates in the chain's zone, from the start of yesterday to the end of today,
# so a run across midnight there still covers every complaint of this test.
stats_from=$(TZ=Asia/Shanghai date -d yesterday +%F)
stats_to=$(TZ=Asia/Shanghai date +%F)
b001 complaints stats --from "$stats_from" --to "$stats_to" >"$tmp/out"
grep -q "branch B001: 1 in total$" "$tmp/out" &&
  grep -q "^Reopen rate 重开率: 100.0% " "$tmp/out" &&
  grep -q "^Average satisfaction 平均满意度: 2.00 of 5 (1 scored)$" "$tmp/out" &&
  grep -Eq "^RETURN_EXCHANGE  +退换货  +returns_exchanges  +1\$" "$tmp/out" &&
  grep -Eq "^RETURN_EXCHANGE  +态度  +staff_attitude  +1\$" "$tmp/out" ||
  fail "stats table: $(cat "$tmp/out")"
out=$(admin -o json complaints stats --from "$stats_from" --to "$stats_to" --top 3)
expect_eq "total" 1 "$(json_get stats.total <<<"$out")"
expect_eq "top problems" 3 "$(json_len stats.top_problems <<<"$out")"
expect_eq "reopen rate" 1 "$(json_get stats.reopen_rate <<<"$out")"

step "sla: severe complaints get a 2h first response (admin; flags applied onto the policy read)"
admin sla get >"$tmp/out"
grep -Eq "^SEVERE  +24h  +3d  +7d\$" "$tmp/out" || fail "default policy: $(cat "$tmp/out")"
for args in "--severity severe --first-response 2x" "--first-response 2h" \
  "--severity severe --first-response 1h30"; do
  rc=0
  # shellcheck disable=SC2086  # $args is several words on purpose
  admin sla set $args >/dev/null 2>"$tmp/err" || rc=$?
  expect_eq "exit status for: sla set $args" 2 "$rc"
  grep -Eq -- "--(severity|first-response)" "$tmp/err" ||
    fail "usage error does not name the flag: $(cat "$tmp/err")"
done
expect_fail PERMISSION_DENIED b001 sla set --severity severe --first-response 2h
admin sla set --severity severe --first-response 2h >"$tmp/out" 2>"$tmp/err"
grep -q "^etag: v1 (read now)$" "$tmp/err" || fail "no etag line: $(cat "$tmp/err")"
grep -q "^version  *2$" "$tmp/out" && grep -Eq "^SEVERE  +2h  +3d  +7d\$" "$tmp/out" &&
  grep -Eq "^MODERATE  +24h  +3d  +7d\$" "$tmp/out" || fail "new policy: $(cat "$tmp/out")"
expect_fail FAILED_PRECONDITION admin sla set --etag v1 --near-breach 70
grep -q "^  reason ETAG_MISMATCH current_etag=v2$" "$tmp/err" ||
  fail "no ETAG_MISMATCH for the policy: $(cat "$tmp/err")"

step "sla: a severe complaint now shows a 2h first response; the open one keeps its policy version"
out=$(b001 -o json complaints create --customer "$member" --channel in-store \
  --category product-quality --severity severe --subject "外套洗一次就开线" \
  --description "新买的外套洗了一次就开线，质量太差")
cmp2=$(json_get complaint.complaint_id <<<"$out")
expect_eq "policy version" 2 "$(json_get complaint.sla_policy_version <<<"$out")"
expect_eq "first response target" 7200s "$(json_get complaint.clocks.0.target <<<"$out")"
expect_eq "due 2h after intake" 7200 \
  "$(seconds_between "$(json_get complaint.create_time <<<"$out")" \
    "$(json_get complaint.clocks.0.due_time <<<"$out")")"
due2=$(shanghai_re "$(json_get complaint.clocks.0.due_time <<<"$out")")
b001 complaints get "$cmp2" >"$tmp/out"
grep -Eq "^first response 首次响应  +running 计时中  +2h  +$due2  +(2h|1h 59m) left  +-\$" "$tmp/out" ||
  fail "severe clock table (due $due2): $(cat "$tmp/out")"
out=$(b001 -o json complaints get "$cmp1")
expect_eq "the first complaint's policy version" 1 \
  "$(json_get complaint.sla_policy_version <<<"$out")"
agent complaints list --by-due --severity severe >"$tmp/out"
grep -Eq "^$cmp2  +NEW  +SEVERE  +-  +$due2  +(2h|1h 59m) left  +0  +no\$" "$tmp/out" ||
  fail "severe list: $(cat "$tmp/out")"

step "calendars: the default, then B001 sets its own hours and holidays"
b001 calendars get B001 >"$tmp/out"
grep -q "^is_default  *true$" "$tmp/out" && grep -Eq "^Sun 周日  +09:00-21:00\$" "$tmp/out" ||
  fail "default calendar: $(cat "$tmp/out")"
rc=0
b001 calendars set B001 --hours "mon-fri 9:00-18:00" >/dev/null 2>"$tmp/err" || rc=$?
expect_eq "exit status for a bad --hours" 2 "$rc"
grep -q -- "--hours" "$tmp/err" || fail "usage error does not name --hours: $(cat "$tmp/err")"
expect_fail PERMISSION_DENIED b002 calendars set B001 --hours "daily 10:00-20:00"
b001 calendars set B001 --zone Asia/Shanghai --hours "mon-fri 09:00-18:00" \
  --hours "sat 10:00-16:00" --closed 2026-10-01,2026-10-02 >/dev/null 2>&1
b001 calendars get B001 >"$tmp/out"
grep -q "^is_default  *false$" "$tmp/out" && grep -q "^time_zone  *Asia/Shanghai$" "$tmp/out" &&
  grep -Eq "^Fri 周五  +09:00-18:00\$" "$tmp/out" && grep -Eq "^Sat 周六  +10:00-16:00\$" "$tmp/out" &&
  grep -Eq "^Sun 周日  +closed 休息\$" "$tmp/out" &&
  grep -q "^Closed dates 休息日: 2026-10-01, 2026-10-02$" "$tmp/out" ||
  fail "calendar after set: $(cat "$tmp/out")"
out=$(admin -o json calendars get B001)
expect_eq "weekly entries" 6 "$(json_len calendar.weekly_hours <<<"$out")"
expect_eq "Saturday opens" 600 "$(json_get calendar.weekly_hours.5.open_minute <<<"$out")"

# ---- Feedback: items, surveys, the satisfaction report, follow-ups ----------
step "feedback: a low-rated negative review of an order opens a linked complaint"
out=$(b001 -o json feedback submit --kind review --channel wechat \
  --customer "$member" --order "$order" --sku A1001 --rating 1 \
  --text "質量太差了，穿一次就破了，很不滿意")
fbk1=$(json_get feedback.feedback_id <<<"$out")
expect_eq "sentiment" SENTIMENT_LABEL_NEGATIVE "$(json_get feedback.sentiment.label <<<"$out")"
expect_eq "first topic" quality "$(json_get feedback.topics.0 <<<"$out")"
fcmp=$(json_get feedback.complaint_id <<<"$out")
out=$(b001 -o json complaints get "$fcmp")
expect_eq "the complaint names the feedback" "$fbk1" "$(json_get complaint.feedback_id <<<"$out")"
expect_eq "its category" COMPLAINT_CATEGORY_PRODUCT_QUALITY "$(json_get complaint.category <<<"$out")"

step "feedback: anonymous feedback naming food poisoning is flagged for review"
out=$(b001 -o json feedback submit --kind comment --channel in-store \
  --text "吃了你们的东西食物中毒了")
expect_eq "needs_review" true "$(json_get feedback.needs_review <<<"$out")"
expect_absent "anonymous complaint" feedback.complaint_id "$out"

step "feedback: 王小明's praise and complaint, found by topic and by a traditional keyword"
b001 feedback submit --kind comment --channel in-store --customer "$id" \
  --rating 5 --text "店员态度很好，非常满意" >/dev/null 2>&1
b001 feedback submit --kind comment --channel app --customer "$id" \
  --rating 2 --text "退货太慢了，等了两个星期" >/dev/null 2>&1
out=$(agent -o json feedback list --topic returns_exchanges)
expect_eq "items about returns" 1 "$(json_len feedback <<<"$out")"
out=$(agent -o json feedback list --keyword "退貨")
expect_eq "items with the keyword 退货" 1 "$(json_len feedback <<<"$out")"
agent feedback list --branch B001 >"$tmp/out"
grep -q "NEEDS REVIEW" "$tmp/out" || fail "feedback table: $(cat "$tmp/out")"
out=$(b002 -o json feedback list)
expect_eq "B002 sees B001's feedback" 0 "$(json_len feedback <<<"$out")"
expect_fail NOT_FOUND b002 feedback get "$fbk1"

step "surveys: a questionnaire of every question type, and 王小明's answers"
out=$(admin -o json surveys create --title "门店满意度调查" \
  --question 'rating!:How satisfied were you?' --question 'nps!:Would you recommend us?' \
  --question 'single:Which store?:Nanjing Rd|Huaihai Rd' \
  --question 'multi:What did you buy?:food|clothes|toys' --question 'text:Anything else?')
srv=$(json_get survey.survey_id <<<"$out")
out=$(b001 -o json surveys respond --survey "$srv" --customer "$id" \
  --answer q1=4 --answer q2=10 --answer 'q3=Nanjing Rd' --answer 'q4=food|toys' \
  --answer 'q5=退货太慢了，店员很冷淡')
expect_eq "free-text sentiment" SENTIMENT_LABEL_NEGATIVE \
  "$(json_get response.answers.4.sentiment.label <<<"$out")"
expect_fail ALREADY_EXISTS b001 surveys respond --survey "$srv" --customer "$id" \
  --answer q1=5 --answer q2=9

step "satisfaction: today's report against the 85% target"
today=$(TZ=Asia/Shanghai date +%F)
out=$(agent -o json satisfaction report --from "$today" --to "$today")
# Ratings: 1 and 5 and 2 (feedback), 4 (survey): 2 of 4 satisfied.
expect_eq "ratings" 4 "$(json_get report.ratings.count <<<"$out")"
expect_eq "satisfied" 2 "$(json_get report.ratings.satisfied <<<"$out")"
expect_eq "survey ratings" 1 "$(json_get report.survey_ratings.count <<<"$out")"
expect_eq "NPS" 100 "$(json_get report.nps.nps <<<"$out")"
expect_eq "top negative topic" returns_exchanges \
  "$(json_get report.top_negative_topics.0.term <<<"$out")"
agent satisfaction report --from "$today" --to "$today" >"$tmp/out"
grep -q "NOT MET" "$tmp/out" || fail "report table: $(cat "$tmp/out")"

step "followups: schedule for 王小明, list (masked for an agent), complete"
out=$(b001 -o json followups schedule --customer "$id" --reason vip-care \
  --due 2h --owner agent-zhang)
fup=$(json_get follow_up.follow_up_id <<<"$out")
out=$(agent -o json followups list --status pending)
expect_eq "agent sees a masked phone" 139****5678 \
  "$(json_get follow_ups.0.customer_phone <<<"$out")"
b001 -o json followups complete "$fup" --outcome reached --satisfaction 4 \
  --repurchase yes --notes "对服务满意，想看新款外套" >/dev/null 2>&1
expect_fail FAILED_PRECONDITION b001 followups complete "$fup" --outcome unreachable
grep -q FOLLOW_UP_DONE "$tmp/err" || fail "no FOLLOW_UP_DONE: $(cat "$tmp/err")"

step "SIGTERM stops the server with exit 0"
stop_server

step "restart on the same database, logging JSON from now on"
# The log so far is text (the default); from here on one JSON object a line.
text_log_lines=$(wc -l <"$tmp/server.log")
start_server --log_format json

step "data survived the restart"
out=$(b001 -o json orders get "$order")
expect_eq "order after restart" ORDER_STATUS_COMPLETED \
  "$(json_get order.status <<<"$out")"
expect_eq "payments after restart" 3 "$(json_len order.payments <<<"$out")"
out=$(admin -o json customers get "$id")
expect_eq "email after restart" wang.xm@example.com "$(json_get customer.email <<<"$out")"
expect_eq "points after restart" 70 "$(json_get customer.points_balance <<<"$out")"
out=$(b001 -o json returns get "$ret1")
expect_eq "return after restart" RETURN_STATUS_COMPLETED \
  "$(json_get order_return.status <<<"$out")"
expect_eq "shortfall after restart" 85 \
  "$(json_get order_return.points_shortfall <<<"$out")"

step "complaints survived the restart, and the SLA policy and calendar with them"
out=$(b001 -o json complaints get "$cmp1")
expect_eq "complaint after restart" COMPLAINT_STATUS_REOPENED \
  "$(json_get complaint.status <<<"$out")"
expect_eq "reopen count after restart" 1 "$(json_get complaint.reopen_count <<<"$out")"
expect_eq "clocks after restart" 3 "$(json_len complaint.clocks <<<"$out")"
out=$(admin -o json sla get)
expect_eq "policy version after restart" 2 "$(json_get policy.version <<<"$out")"
out=$(admin -o json calendars get B001)
expect_eq "calendar after restart" Asia/Shanghai "$(json_get calendar.time_zone <<<"$out")"

step "feedback survived the restart"
out=$(agent -o json feedback get "$fbk1")
expect_eq "feedback after restart" "$fcmp" "$(json_get feedback.complaint_id <<<"$out")"
out=$(agent -o json satisfaction report --from "$today" --to "$today")
expect_eq "ratings after restart" 4 "$(json_get report.ratings.count <<<"$out")"

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

# expect_erased WHAT JSON [--erase-time]: JSON is {"customer": ...} for $id
# with every personal field gone (absent: proto3 JSON leaves out empty
# fields) and the rest kept. The present fields prove it is that customer's
# record, so the absent ones mean erased, not a reply about something else.
expect_erased() {
  local what=$1 json=$2 field
  expect_eq "$what: customer_id" "$id" "$(json_get customer.customer_id <<<"$json")"
  expect_eq "$what: branch_id kept" B001 "$(json_get customer.branch_id <<<"$json")"
  expect_eq "$what: display_name" "(erased)" \
    "$(json_get customer.display_name <<<"$json")"
  for field in phone email birthday gender notes marketing_consent; do
    expect_absent "$what" "customer.$field" "$json"
  done
  # A record read back from the database has an empty Preferences message.
  if json_has customer.preferences <<<"$json"; then
    expect_eq "$what: preferences" "{}" "$(json_get customer.preferences <<<"$json")"
  fi
  if [[ "${3:-}" == --erase-time ]]; then
    json_has customer.erase_time <<<"$json" || fail "$what: no erase_time: $json"
  fi
}
expect_erased "erase reply" "$(cat "$tmp/out")" --erase-time
expect_eq "points kept in the erase reply" 70 \
  "$(json_get customer.points_balance <"$tmp/out")"

step "get after erasure: personal fields gone, points kept"
out=$(admin -o json customers get "$id")
expect_erased "get after erasure" "$out" --erase-time
expect_eq "points after erasure" 70 "$(json_get customer.points_balance <<<"$out")"

step "points ledger after erasure: amounts kept, every reason gone"
out=$(admin -o json customers points list "$id")
expect_eq "ledger entries after erasure" 6 "$(json_len transactions <<<"$out")"
expect_eq "first delta after erasure" 100 "$(json_get transactions.0.delta <<<"$out")"
for i in 0 1 2 3 4 5; do
  json_get "transactions.$i.transaction_id" <<<"$out" >/dev/null
  expect_absent "ledger entry $i after erasure" "transactions.$i.reason" "$out"
done

step "search by the erased phone finds nobody"
out=$(admin -o json customers search --phone 13912345678)
expect_eq "customers with the erased phone" 0 "$(json_len customers <<<"$out")"

step "a retry of the create gets its first answer back, scrubbed"
out=$(create_wang)
expect_erased "replayed create" "$out"

step "erasure emptied 王小明's feedback, answers and follow-up notes; the figures stay"
out=$(agent -o json feedback list --topic returns_exchanges)
expect_eq "erased item still counted by topic" 1 "$(json_len feedback <<<"$out")"
expect_eq "text_erased" true "$(json_get feedback.0.text_erased <<<"$out")"
expect_absent "erased feedback" feedback.0.text "$out"
expect_absent "erased feedback" feedback.0.customer_id "$out"
out=$(agent -o json satisfaction report --from "$today" --to "$today")
expect_eq "ratings after erasure" 4 "$(json_get report.ratings.count <<<"$out")"

step "export after erasure: nothing personal left"
out=$(admin customers export "$id")
expect_erased "export after erasure" "$out" --erase-time
expect_eq "export ledger entries after erasure" 6 \
  "$(json_len points_transactions <<<"$out")"
for i in 0 1 2 3 4 5; do
  expect_absent "exported ledger entry $i" "points_transactions.$i.reason" "$out"
done

step "audit list: only auditors and admins read the log"
expect_fail PERMISSION_DENIED agent audit list
expect_fail PERMISSION_DENIED b001 audit list --page-size 1

step "audit list: the agent's reveal of the phone, and no phone in the log"
out=$(auditor -o json audit list --outcome reveal --principal e2e-agent \
  --resource "customers/$id")
n=$(json_len entries <<<"$out")
((n >= 1)) || fail "no REVEAL row of the agent: $out"
expect_eq "reveal method" retail.customers.v1.CustomerService/GetCustomer \
  "$(json_get entries.0.method <<<"$out")"
expect_eq "reveal role" agent "$(json_get entries.0.role <<<"$out")"
if auditor -o json audit list --all | grep -qF 13912345678; then
  fail "a phone number in the audit log"
fi

step "audit list: the table, in the chain's time zone, with the method short"
auditor audit list --resource "customers/$id" --page-size 3 >"$tmp/out"
head -n 1 "$tmp/out" | grep -q "Principal" || fail "no header: $(cat "$tmp/out")"
grep -q "+08:00  e2e-" "$tmp/out" || fail "no local time: $(cat "$tmp/out")"
grep -q " CustomerService/" "$tmp/out" || fail "no short method: $(cat "$tmp/out")"
grep -q "^more results: repeat with --page-token " "$tmp/out" ||
  fail "no next page hint: $(cat "$tmp/out")"

step "audit list --all follows the pages: the same rows as one page"
whole=$(admin -o json audit list --method retail.customers.v1.CustomerService \
  --page-size 1000)
paged=$(admin -o json audit list --method retail.customers.v1.CustomerService \
  --page-size 2 --all)
expect_eq "rows paged with --all" "$(json_len entries <<<"$whole")" \
  "$(json_len entries <<<"$paged")"
expect_eq "newest row" "$(json_get entries.0.audit_id <<<"$whole")" \
  "$(json_get entries.0.audit_id <<<"$paged")"

step "audit list: the agent's denied try is in the log"
found=0
for _ in $(seq 1 50); do  # failures refused at the gate are written just after
  out=$(auditor -o json audit list --outcome PERMISSION_DENIED \
    --method retail.audit.v1.AuditService/ListAuditLog --principal e2e-agent)
  if (($(json_len entries <<<"$out") >= 1)); then found=1; break; fi
  sleep 0.1
done
((found)) || fail "the denied ListAuditLog is not in the log: $out"

step "audit list: bad filters"
rc=0
auditor audit list --outcome DENIED >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_eq "exit status for --outcome DENIED" 2 "$rc"
grep -q -- "--outcome" "$tmp/err" || fail "usage error without the flag: $(cat "$tmp/err")"
expect_fail INVALID_ARGUMENT auditor audit list --since 2026-12-02 --until 2026-12-01
grep -q "field end_time" "$tmp/err" || fail "no field end_time: $(cat "$tmp/err")"
expect_fail INVALID_ARGUMENT auditor audit list --method "no such method"
grep -q "field method" "$tmp/err" || fail "no field method: $(cat "$tmp/err")"

# ---- Events: the change feed -------------------------------------------------
step "events list: every change so far, oldest first, with its state"
out=$(admin -o json events list --type customer --event-type CREATED 2>"$tmp/err")
(($(json_len events <<<"$out") >= 2)) || fail "customer CREATED events: $out"
expect_eq "first created customer" "customers/$id" "$(json_get events.0.resource <<<"$out")"
expect_eq "event type" CREATED "$(json_get events.0.event_type <<<"$out")"
expect_eq "state type" type.googleapis.com/retail.customers.v1.Customer \
  "$(json_get 'events.0.state.@type' <<<"$out")"
expect_eq "state customer_id" "$id" "$(json_get events.0.state.customer_id <<<"$out")"
grep -Eq '^progress_sequence: [1-9][0-9]*$' "$tmp/err" ||
  fail "no progress_sequence on stderr: $(cat "$tmp/err")"
out=$(admin -o json events list --all 2>"$tmp/err")
progress=$(sed -n 's/^progress_sequence: //p' "$tmp/err")
expect_eq "progress of --all is the last event" \
  "$(json_get "events.$(($(json_len events <<<"$out") - 1)).sequence" <<<"$out")" "$progress"
if grep -qF 13912345678 <<<"$out"; then fail "an erased phone in the event states"; fi
out=$(agent -o json events list --type customer --all 2>/dev/null)
grep -qF '138****8000' <<<"$out" || fail "no masked phone in the agent's events"
if grep -qF 13800138000 <<<"$out"; then fail "an agent sees a full phone in the events"; fi

step "events list: the table, in the chain's time zone, with the state's type"
admin events list --type customer --page-size 2 >"$tmp/out" 2>"$tmp/err"
head -n 1 "$tmp/out" | grep -q "Seq" || fail "no header: $(cat "$tmp/out")"
grep -Eq "\+08:00  +customers/$id  +customer  +CREATED  +1  " "$tmp/out" ||
  fail "no row of the first customer: $(cat "$tmp/out")"
grep -Eq "  retail\.customers\.v1\.Customer\$" "$tmp/out" || fail "no state type: $(cat "$tmp/out")"
grep -q "^more results: repeat with --page-token " "$tmp/out" ||
  fail "no next page hint: $(cat "$tmp/out")"

step "events list --after the progress: only what changed since"
out=$(admin -o json events list --after "$progress" 2>"$tmp/err")
expect_eq "events after the progress" 0 "$(json_len events <<<"$out")"
b001 customers points adjust "$member" --delta 1 --reason "events check" >/dev/null 2>&1
out=$(admin -o json events list --after "$progress" 2>"$tmp/err")
expect_eq "events after a write" 1 "$(json_len events <<<"$out")"
expect_eq "its resource" "customers/$member" "$(json_get events.0.resource <<<"$out")"
expect_eq "its principal" store-b001 "$(json_get events.0.principal <<<"$out")"

step "events watch --from-oldest --count 2: two events, one JSON object a line"
timeout 30 env RETAIL_TOKEN=$ADMIN_TOKEN "$CTL" -o json events watch --from-oldest \
  --count 2 >"$tmp/out" 2>"$tmp/err" || fail "watch --count 2: $(cat "$tmp/err")"
expect_eq "lines" 2 "$(wc -l <"$tmp/out")"
seq2=$(sed -n 2p "$tmp/out" | json_get sequence)
(($(head -n 1 "$tmp/out" | json_get sequence) < seq2)) || fail "not in order: $(cat "$tmp/out")"
expect_eq "progress after --count 2" "progress_sequence: $seq2" "$(cat "$tmp/err")"

step "events watch --after: a change is printed as it commits; --for ends with 0"
head_seq=$(admin -o json events list --after "$progress" 2>&1 >/dev/null |
  sed -n 's/^progress_sequence: //p')
timeout 30 env RETAIL_TOKEN=$AGENT_TOKEN "$CTL" events watch --after "$head_seq" \
  --type customer --count 1 --for 20 >"$tmp/watch" 2>"$tmp/watch.err" &
watch_pid=$!
sleep 0.5
b001 customers points adjust "$member" --delta -1 --reason "events check" >/dev/null 2>&1
rc=0
wait "$watch_pid" || rc=$?
expect_eq "watch exit status" 0 "$rc"
grep -Eq "\+08:00  +customers/$member  +customer  +POINTS_ADJUSTED  " "$tmp/watch" ||
  fail "watch table: $(cat "$tmp/watch")"
new_seq=$(sed -n 's/^progress_sequence: //p' "$tmp/watch.err")
((new_seq > head_seq)) || fail "watch progress: $(cat "$tmp/watch.err")"
rc=0
admin events watch --after "$new_seq" --for 1 >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_eq "exit status after --for" 0 "$rc"
[[ ! -s "$tmp/out" ]] || fail "events after the newest: $(cat "$tmp/out")"
expect_eq "progress after --for" "progress_sequence: $new_seq" "$(cat "$tmp/err")"

step "events: a bad --type is the server's INVALID_ARGUMENT naming resource_types[0]"
expect_fail INVALID_ARGUMENT admin events list --type customers
grep -q "field resource_types\[0\]" "$tmp/err" || fail "no field: $(cat "$tmp/err")"
expect_fail INVALID_ARGUMENT admin events watch --type customers --for 5
grep -q "field resource_types\[0\]" "$tmp/err" || fail "no field: $(cat "$tmp/err")"

step "stop server"
stop_server

step "the clean stop checkpointed the WAL; no erased byte is left in the file"
[[ ! -s "$tmp/retail.db-wal" ]] || fail "WAL not checkpointed at exit"
for erased in 13912345678 wang.xm@example.com "prefers calls after 18:00" \
  "welcome bonus" "redeemed coupon" 王小明 "等了两个星期" "店员很冷淡" \
  "想看新款外套"; do
  if grep -qaF -- "$erased" "$tmp"/retail.db*; then
    fail "'$erased' is still in the database files after erasure"
  fi
done
# ---- The server's log: a line per call, nothing personal, never a token ----
step "server log: no token, phone number, email, name or personal text in it"
# By variable name, so that a failure does not print the secret itself.
leaked=()
LOG_PHONE_1=13912345678 LOG_PHONE_2=13800138000 LOG_EMAIL=wang.xm@example.com
LOG_NAME_1=王小明 LOG_NAME_2=李小红 LOG_NAME_3=李四
LOG_NOTES="prefers calls after 18:00" LOG_REASON="welcome bonus"
LOG_COMPLAINT=退換貨太慢了 LOG_FEEDBACK=穿一次就破了 LOG_ANSWER=店员很冷淡
LOG_FOLLOWUP=想看新款外套 LOG_CONTACT=SF1234567
for var in ADMIN_TOKEN AGENT_TOKEN B001_TOKEN B002_TOKEN AUDITOR_TOKEN \
  LOG_PHONE_1 LOG_PHONE_2 LOG_EMAIL LOG_NAME_1 LOG_NAME_2 LOG_NAME_3 LOG_NOTES \
  LOG_REASON LOG_COMPLAINT LOG_FEEDBACK LOG_ANSWER LOG_FOLLOWUP LOG_CONTACT; do
  [[ -n "${!var}" ]] || fail "$var is empty"
  if grep -qaF -- "${!var}" "$tmp/server.log"; then
    leaked+=("\$$var")
    # Keep the secret out of the failure output (cleanup prints the log).
    sed -i "s/$(printf '%s' "${!var}" | sed 's/[][\.*^$/]/\\&/g')/<$var>/g" "$tmp/server.log"
  fi
done
((${#leaked[@]} == 0)) ||
  fail "the server log contains ${leaked[*]} (shown as <NAME> in the log below)"

step "server log, text part: call lines with method, principal, code, latency, request_id"
head -n "$text_log_lines" "$tmp/server.log" >"$tmp/text.log"
MS='latency_ms=[0-9]+\.[0-9]{3}'
CALL='^I[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z call_log\.cc:[0-9]+\] call method=retail'
for want in \
  "customers.v1.CustomerService/CreateCustomer principal=e2e-admin code=OK $MS request_id=$CREATE_RID\$" \
  "customers.v1.CustomerService/ListCustomers principal=\"\" code=UNAUTHENTICATED $MS\$" \
  "customers.v1.CustomerService/GetCustomer principal=store-b002 code=NOT_FOUND $MS\$" \
  "customers.v1.CustomerService/CreateCustomer principal=e2e-admin code=ALREADY_EXISTS( reason=[A-Z_]+)? $MS request_id=[-0-9a-f]{36}\$" \
  "orders.v1.OrderService/PayOrder principal=store-b001 code=OK $MS request_id=$pay_rid\$" \
  "orders.v1.OrderService/CompleteReturn principal=store-b001 code=OK $MS request_id=$complete_rid\$" \
  "complaints.v1.ComplaintService/CreateComplaint principal=store-b001 code=OK $MS request_id=[-0-9a-f]{36}\$" \
  "feedback.v1.FeedbackService/SubmitFeedback principal=store-b001 code=OK $MS request_id=[-0-9a-f]{36}\$" \
  "server.v1.ServerInfoService/GetServerInfo principal=e2e-admin code=OK $MS\$"; do
  grep -Eq "$CALL\.$want" "$tmp/text.log" || fail "no text call line matching: $want"
done

step "server log, JSON part: every line one JSON object; call lines for the calls made"
tail -n "+$((text_log_lines + 1))" "$tmp/server.log" >"$tmp/json.log"
"$PY" - "$tmp/json.log" "$CREATE_RID" <<'PYEOF' || fail "the JSON log part is not as expected"
import json, re, sys
path, create_rid = sys.argv[1], sys.argv[2]
call_keys = {"ts", "level", "msg", "method", "principal", "code", "reason",
             "latency_ms", "request_id", "stream"}
ts_re = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
calls, others, bad = [], 0, 0
with open(path, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            obj = json.loads(line)
        except ValueError:
            print(f"line {n} of the JSON part is not JSON: {line[:200]!r}")
            bad += 1
            continue
        if not isinstance(obj, dict) or not ts_re.match(obj.get("ts", "")) \
                or obj.get("level") not in ("INFO", "WARNING", "ERROR") \
                or not isinstance(obj.get("msg"), str):
            print(f"line {n}: no ts, level or msg: {line[:200]!r}")
            bad += 1
        elif obj["msg"] == "call":
            if set(obj) != call_keys:
                print(f"line {n}: call keys {sorted(obj)}")
                bad += 1
            calls.append(obj)
        elif obj["msg"] not in ("slow call", "slow call lines suppressed"):
            others += 1
            if not {"file", "line"} <= set(obj):
                print(f"line {n}: a log line without file and line")
                bad += 1
if others == 0:
    print("no server log line (start-up, shutdown) in JSON")
    bad += 1
def want(what, **kv):
    global bad
    if not any(all(c.get(k) == v for k, v in kv.items()) for c in calls):
        print(f"no JSON call line for {what}: {kv}")
        bad += 1
cs = "retail.customers.v1.CustomerService/"
want("the retried create", method=cs + "CreateCustomer", principal="e2e-admin",
     code="OK", request_id=create_rid, stream=False)
want("the erasure", method=cs + "EraseCustomer", principal="e2e-admin", code="OK")
want("the export (a stream)", method=cs + "ExportCustomerData", stream=True,
     code="OK")
want("a watch (a stream)", method="retail.events.v1.EventService/WatchEvents",
     stream=True, principal="e2e-agent")
want("the bad watch", method="retail.events.v1.EventService/WatchEvents",
     code="INVALID_ARGUMENT", principal="e2e-admin")
want("the audit list", method="retail.audit.v1.AuditService/ListAuditLog",
     principal="e2e-auditor", code="OK")
want("a denied audit list", method="retail.audit.v1.AuditService/ListAuditLog",
     code="PERMISSION_DENIED")
for c in calls:
    if not isinstance(c["latency_ms"], (int, float)) or c["latency_ms"] < 0:
        print(f"bad latency_ms in {c}")
        bad += 1
print(f"   {len(calls)} JSON call lines, {others} other lines")
sys.exit(1 if bad else 0)
PYEOF

echo "PASS: cli_e2e"
