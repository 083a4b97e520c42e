#!/usr/bin/env bash
# Checks deploy/systemd/retail-server.service with `systemd-analyze verify`.
#
# Usage: unit_verify_test.sh UNIT_FILE RETAIL_SERVER
#
# verify wants every ExecStart binary to exist, and the unit names
# /usr/local/bin/retail_server, so a copy of the unit that runs RETAIL_SERVER
# (the build's) is verified, in a directory named like the unit's. Anything
# verify says about the unit (unknown keys, bad values, missing binaries)
# fails the test: it exits 0 even for unknown keys. Exits 77 (ctest SKIP)
# when systemd-analyze is missing or cannot verify even a trivial unit here.
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 UNIT_FILE RETAIL_SERVER" >&2
  exit 2
fi
unit_file=$1
server=$2

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Can this container verify units at all?
mkdir "$tmp/probe"
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$tmp/probe/probe.service"
if ! out=$(systemd-analyze verify "$tmp/probe/probe.service" 2>&1) || [[ -n "$out" ]]; then
  echo "SKIP: systemd-analyze verify does not work here; on a trivial unit it said:"
  echo "$out"
  exit 77
fi
systemd-analyze --version | head -n 1

name=$(basename "$unit_file")
mkdir "$tmp/unit"
sed "s#/usr/local/bin/retail_server#$server#" "$unit_file" >"$tmp/unit/$name"
grep -qF "ExecStart=$server " "$tmp/unit/$name" ||
  { echo "FAIL: no 'ExecStart=/usr/local/bin/retail_server ' in $unit_file"; exit 1; }

rc=0
out=$(systemd-analyze verify "$tmp/unit/$name" 2>&1) || rc=$?
if ((rc != 0)) || grep -qF "$name" <<<"$out"; then
  echo "FAIL: systemd-analyze verify $name (exit $rc):"
  echo "$out"
  exit 1
fi
[[ -z "$out" ]] || { echo "systemd-analyze said (not about this unit):"; echo "$out"; }
echo "ok: systemd-analyze verify $name: no complaints"

# The hardening, as systemd scores it (informational; 0 safe .. 10 unsafe).
systemd-analyze security --offline=yes "$tmp/unit/$name" 2>/dev/null |
  grep 'Overall exposure' || true
