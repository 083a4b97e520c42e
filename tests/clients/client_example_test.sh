#!/usr/bin/env bash
# Runs one language's client example against a real retail_server.
#
# Usage: client_example_test.sh cpp|python|node RETAIL_SERVER SOURCE_DIR BUILD_DIR
#
# 1. Prepares the client as another team would use it:
#    cpp     installs the package (cmake --install BUILD_DIR --component
#            retail_client_cpp) into a temp prefix and builds
#            clients/cpp/examples against it with find_package(RetailClient);
#    python  the modules generated into BUILD_DIR/python (PYTHONPATH);
#    node    clients/node with the packages `npm ci` installed.
# 2. Starts the server on 127.0.0.1:0 (it writes the bound port to
#    --port_file) with a temp database and an auth config holding one service
#    principal made by scripts/add-token, allowed exactly the methods the
#    example calls.
# 3. Runs the example: it must exit 0 having seen the CREATED events of the
#    customer and order it made, and print its last sequence S.
# 4. Runs it again from now (changes a consumer stopped at S has missed),
#    restarts the server on the same database, then runs it a third time with
#    --after-sequence S: that run must see the second run's CREATED events and
#    its own, and no event at or before S (nothing missed, nothing twice,
#    across the restart).
# 5. The server's log has a call line for the example's writes and holds
#    neither its token nor its customer's name.
# The server and temp dir are removed on exit; a failure prints the outputs
# and the end of the server log.
set -euo pipefail

if (($# != 4)); then
  echo "usage: $0 cpp|python|node RETAIL_SERVER SOURCE_DIR BUILD_DIR" >&2
  exit 2
fi
lang=$1 SERVER=$2 SRC=$3 BUILD=$4
PY=/usr/bin/python3   # Debian's python3-grpcio and python3-protobuf
EXAMPLE_TIMEOUT=30    # seconds the example gives itself
KILL_AFTER=60         # seconds before `timeout` ends a hung example

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    for f in "$tmp"/*.out "$tmp"/*.err; do
      [[ -s "$f" ]] || continue
      echo "--- $(basename "$f") ---" >&2
      tail -n 60 "$f" >&2
    done
    if [[ -f "$tmp/server.log" ]]; then
      echo "--- server log (last 40 lines) ---" >&2
      tail -n 40 "$tmp/server.log" >&2
    fi
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
step() { printf '== %s\n' "$*"; }

# --- 1. the client, as another team gets it --------------------------------
case "$lang" in
  cpp)
    cmake_bin=${RETAIL_CMAKE:-cmake}
    step "install the C++ package into a temp prefix"
    "$cmake_bin" --install "$BUILD" --prefix "$tmp/prefix" --component retail_client_cpp \
      >"$tmp/install.out" 2>&1 || fail "cmake --install failed"
    for f in lib/libretail_protos.a lib/cmake/RetailClient/RetailClientConfig.cmake \
      include/retail-client/retail/events/v1/events.grpc.pb.h \
      share/retail-client/protos/retail/orders/v1/orders.proto; do
      [[ -f "$tmp/prefix/$f" ]] || fail "the install has no $f"
    done
    step "build clients/cpp/examples with find_package(RetailClient)"
    generator=()
    [[ -z "${RETAIL_CMAKE_GENERATOR:-}" ]] || generator=(-G "$RETAIL_CMAKE_GENERATOR")
    compiler=()
    [[ -z "${RETAIL_CXX:-}" ]] || compiler=(-DCMAKE_CXX_COMPILER="$RETAIL_CXX")
    # Only the prefix: neither the package registry nor the source build tree.
    "$cmake_bin" -S "$SRC/clients/cpp/examples" -B "$tmp/consumer" "${generator[@]}" \
      "${compiler[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$tmp/configure.out" 2>&1 ||
      fail "configuring the consumer failed"
    grep -q "RetailClient_DIR:PATH=$tmp/prefix/" "$tmp/consumer/CMakeCache.txt" ||
      fail "find_package(RetailClient) did not use the temp prefix"
    "$cmake_bin" --build "$tmp/consumer" >"$tmp/build.out" 2>&1 || fail "building the consumer failed"
    example=("$tmp/consumer/create_and_watch")
    ;;
  python)
    [[ -f "$BUILD/python/retail_client/__init__.py" && -f "$BUILD/python/retail/events/v1/events_pb2_grpc.py" ]] ||
      fail "no generated Python package in $BUILD/python (build the target retail_client_python)"
    export PYTHONPATH="$BUILD/python"
    example=("$PY" "$SRC/clients/python/examples/create_and_watch.py")
    ;;
  node)
    (cd "$SRC/clients/node" && node -e "require.resolve('@grpc/grpc-js'); require.resolve('@grpc/proto-loader')") ||
      fail "clients/node cannot load @grpc/grpc-js (run scripts/setup: npm ci)"
    example=(node "$SRC/clients/node/examples/create_and_watch.js")
    ;;
  *) fail "unknown language '$lang'" ;;
esac

# --- 2. a real server ------------------------------------------------------
step "start retail_server"
(umask 077 && printf '# clients test\n' >"$tmp/auth.conf")
methods=retail.customers.v1.CustomerService/CreateCustomer
methods+=,retail.orders.v1.OrderService/CreateOrder
methods+=,retail.events.v1.EventService/WatchEvents
token=$("$SRC/scripts/add-token" service "other-team-$lang" --methods "$methods" \
  --auth-config "$tmp/auth.conf" 2>"$tmp/add-token.err") || fail "scripts/add-token failed"
[[ "$token" =~ ^[0-9a-f]{64}$ ]] || fail "scripts/add-token printed '$token'"

start_server() {
  rm -f "$tmp/port"
  "$SERVER" --listen 127.0.0.1:0 --metrics_listen 127.0.0.1:0 --port_file "$tmp/port" --db "$tmp/retail.db" \
    --auth_config "$tmp/auth.conf" --maintenance_interval_seconds=0 --drain_seconds=0 \
    >>"$tmp/server.log" 2>&1 &
  server_pid=$!
  local waited=0
  until [[ -s "$tmp/port" ]]; do
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited during start-up"
    ((waited++ < 600)) || fail "no --port_file after 60 s"
    sleep 0.1
  done
  addr="127.0.0.1:$(<"$tmp/port")"
  echo "   serving on $addr"
}
stop_server() {
  kill -TERM "$server_pid"
  local waited=0
  while kill -0 "$server_pid" 2>/dev/null; do
    ((waited++ < 300)) || fail "the server did not stop within 30 s of SIGTERM"
    sleep 0.1
  done
  wait "$server_pid" 2>/dev/null || fail "the server exited non-zero on SIGTERM"
  server_pid=""
}
start_server

# --- 3. the example ----------------------------------------------------------
# run_example NAME args...: runs it, output in $tmp/NAME.out / .err.
run_example() {
  local name=$1 rc=0
  shift
  # No token in the environment or a home config: only --token counts.
  env -u RETAIL_TOKEN -u RETAIL_ADDR HOME="$tmp" XDG_CONFIG_HOME="$tmp/config" \
    timeout -k 5 "$KILL_AFTER" "${example[@]}" --addr "$addr" --token "$token" \
    --timeout "$EXAMPLE_TIMEOUT" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  sed 's/^/   | /' "$tmp/$name.out"
  ((rc == 0)) || fail "$name exited $rc"
}

# check_run NAME: both CREATED events of what it created, then the last sequence.
check_run() {
  local out=$tmp/$1.out customer order
  customer=$(sed -n 's/^created \(customers\/[^ ]*\)$/\1/p' "$out")
  order=$(sed -n 's/^created \(orders\/[^ ]*\) .*/\1/p' "$out")
  [[ -n "$customer" && -n "$order" ]] || fail "$1 printed no created customer and order"
  grep -Eq "^event [0-9]+: customer CREATED $customer revision 1 by other-team-$lang$" "$out" ||
    fail "$1 did not print the CREATED event of $customer"
  grep -Eq "^event [0-9]+: order CREATED $order revision 1 by other-team-$lang$" "$out" ||
    fail "$1 did not print the CREATED event of $order"
  grep -qx "saw both CREATED events: $customer, $order" "$out" || fail "$1 printed no summary"
  last=$(sed -n 's/^last sequence: \([0-9]*\) (resume with --after-sequence \1)$/\1/p' "$out")
  [[ "$last" =~ ^[1-9][0-9]*$ ]] || fail "$1 printed no last sequence"
  # Every event printed is at or below it, in increasing order.
  sed -n 's/^event \([0-9]*\):.*/\1/p' "$out" | awk -v last="$last" '
    $1 <= prev || $1 > last { bad = 1 } { prev = $1 } END { exit bad }' ||
    fail "$1: event sequences not increasing up to $last"
}

step "run the example: create a customer and an order, follow the stream"
run_example first
check_run first
first_last=$last

step "run it again from now (the changes a consumer resuming at $first_last has missed)"
run_example second
check_run second
missed_customer=$(sed -n 's/^created \(customers\/[^ ]*\)$/\1/p' "$tmp/second.out")
missed_order=$(sed -n 's/^created \(orders\/[^ ]*\) .*/\1/p' "$tmp/second.out")

step "restart the server (SIGTERM, then again on the same database)"
stop_server
start_server

step "resume after sequence $first_last: the missed changes, its own, nothing twice"
run_example resumed --after-sequence "$first_last"
check_run resumed
grep -Eq "^event [0-9]+: customer CREATED $missed_customer " "$tmp/resumed.out" ||
  fail "the resumed run missed $missed_customer, created after sequence $first_last"
grep -Eq "^event [0-9]+: order CREATED $missed_order " "$tmp/resumed.out" ||
  fail "the resumed run missed $missed_order, created after sequence $first_last"
sed -n 's/^event \([0-9]*\):.*/\1/p' "$tmp/resumed.out" | awk -v after="$first_last" '
  $1 <= after { bad = 1 } END { exit bad }' ||
  fail "the resumed run saw an event at or before $first_last again"
((last > first_last)) || fail "the resumed run's last sequence $last is not after $first_last"

step "the server log has the example's calls, and neither its token nor its customer's name"
# Named, not printed: a failure must not show the token.
if grep -qaF -- "$token" "$tmp/server.log"; then
  sed -i "s/$token/<token>/g" "$tmp/server.log"
  fail "the server log contains the example's token"
fi
! grep -qaF "Example Customer" "$tmp/server.log" ||
  fail "the server log contains the example customer's name"
for method in customers.v1.CustomerService/CreateCustomer orders.v1.OrderService/CreateOrder; do
  grep -Eq "\] call method=retail\.$method principal=other-team-$lang code=OK latency_ms=[0-9]+\.[0-9]{3} request_id=" \
    "$tmp/server.log" || fail "no call line for $method in the server log"
done

step "ok: $lang client example; resumed after $first_last, it caught up to $last"
