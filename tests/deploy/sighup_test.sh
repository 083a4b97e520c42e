#!/usr/bin/env bash
# SIGHUP (systemctl reload) re-reads the auth config at once and the server
# keeps serving.
#
# Usage: sighup_test.sh RETAIL_SERVER RETAILCTL
#
# The new token is added with the file's old mtime put back, so the
# server's own look at the mtime (once a second) cannot see the change:
# only the SIGHUP can make the token work. A broken file on SIGHUP keeps the
# previous config. Every wait is bounded.
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 RETAIL_SERVER RETAILCTL" >&2
  exit 2
fi
SERVER=$1
CTL=$2
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if ((rc != 0)) && [[ -f "$tmp/server.log" ]]; then
    echo "--- server log (last 30 lines) ---" >&2
    tail -n 30 "$tmp/server.log" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '== %s\n' "$*"; }

OLD_TOKEN=hup-old-token-1a2b
NEW_TOKEN=hup-new-token-3c4d
auth_line() {  # TOKEN PRINCIPAL ROLE
  printf 'sha256:%s  %s  %s\n' "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)" "$2" "$3"
}
auth_line "$OLD_TOKEN" hup-old admin >"$tmp/auth.conf"
chmod 600 "$tmp/auth.conf"
unset RETAIL_TOKEN
export XDG_CONFIG_HOME="$tmp/config"

# call TOKEN: 0 if an authenticated call succeeds; its stderr in $tmp/err.
call() { timeout 20 env RETAIL_TOKEN="$1" "$CTL" customers list >/dev/null 2>"$tmp/err"; }
expect_ok() { call "$1" || fail "$2: $(cat "$tmp/err")"; }
expect_unauthenticated() {
  ! call "$1" || fail "$2: the call succeeded"
  grep -q '^error: UNAUTHENTICATED:' "$tmp/err" || fail "$2: $(cat "$tmp/err")"
}
# wait_log N TEXT: until TEXT appears N times in the log (10 s at most).
wait_log() {
  local waited=0
  until (($(grep -cF -- "$2" "$tmp/server.log" || true) >= $1)); do
    kill -0 "$server_pid" 2>/dev/null || fail "server exited waiting for '$2'"
    ((waited++ < 100)) || fail "no '$2' (x$1) in the log after 10 s"
    sleep 0.1
  done
}
alive() { kill -0 "$server_pid" 2>/dev/null || fail "$1: the server is gone"; }

step "start the server"
"$SERVER" --listen 127.0.0.1:0 --metrics_listen 127.0.0.1:0 --port_file "$tmp/port" --db "$tmp/retail.db" \
  --auth_config "$tmp/auth.conf" --drain_seconds 0 >"$tmp/server.log" 2>&1 &
server_pid=$!
waited=0
until [[ -e "$tmp/port" ]]; do
  kill -0 "$server_pid" 2>/dev/null || fail "server exited during start-up"
  ((waited++ < 600)) || fail "no --port_file after 60 s"
  sleep 0.1
done
RETAIL_ADDR="127.0.0.1:$(<"$tmp/port")"
export RETAIL_ADDR
expect_ok "$OLD_TOKEN" "old token before the change"

step "a new token, with the file's mtime put back: not seen without SIGHUP"
touch -r "$tmp/auth.conf" "$tmp/mtime"
auth_line "$NEW_TOKEN" hup-new admin >>"$tmp/auth.conf"
touch -r "$tmp/mtime" "$tmp/auth.conf"
sleep 1.2  # past the server's once-a-second look at the mtime
expect_unauthenticated "$NEW_TOKEN" "new token before SIGHUP"

step "SIGHUP: the new token works right after it, the server serves on"
kill -HUP "$server_pid"
wait_log 1 "SIGHUP: reloaded auth config $tmp/auth.conf; no TLS"
alive "after SIGHUP"
expect_ok "$NEW_TOKEN" "new token right after SIGHUP"
expect_ok "$OLD_TOKEN" "old token after SIGHUP"

step "several SIGHUPs in a row"
kill -HUP "$server_pid"
kill -HUP "$server_pid"
sleep 0.5
kill -HUP "$server_pid"
wait_log 2 "SIGHUP: reloaded auth config"
sleep 0.5
alive "after three SIGHUPs"
expect_ok "$NEW_TOKEN" "new token after three SIGHUPs"

step "a broken file on SIGHUP: the previous config stays in force"
echo "this is not a principal" >>"$tmp/auth.conf"
kill -HUP "$server_pid"
wait_log 1 "SIGHUP: keeping the previous auth config"
alive "after SIGHUP with a broken file"
expect_ok "$NEW_TOKEN" "new token with a broken file"

step "a removed token stops working at SIGHUP"
auth_line "$OLD_TOKEN" hup-old admin >"$tmp/auth.conf"
touch -r "$tmp/mtime" "$tmp/auth.conf"
n=$(grep -cF "SIGHUP: reloaded auth config" "$tmp/server.log")
kill -HUP "$server_pid"
wait_log $((n + 1)) "SIGHUP: reloaded auth config"
expect_unauthenticated "$NEW_TOKEN" "removed token after SIGHUP"
expect_ok "$OLD_TOKEN" "old token at the end"

step "SIGTERM still stops it cleanly"
kill -TERM "$server_pid"
rc=0
for _ in $(seq 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server_pid" 2>/dev/null && fail "still running 30 s after SIGTERM"
wait "$server_pid" || rc=$?
server_pid=""
((rc == 0)) || fail "exit status $rc after SIGTERM"
echo "ok"
