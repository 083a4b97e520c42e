#!/usr/bin/env bash
# scripts/install: --dry-run changes nothing and says what it would do;
# --destdir installs every file with the right mode and the unit's paths
# rewritten for --prefix, and a second run changes nothing.
#
# Usage: install_test.sh SCRIPTS_INSTALL BIN_DIR   (BIN_DIR: the built
# retail_server and retailctl)
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 SCRIPTS_INSTALL BIN_DIR" >&2
  exit 2
fi
install=$1
bin_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '== %s\n' "$*"; }

step "--dry-run --prefix $tmp/prefix succeeds and changes nothing"
etc_before=$(ls -d /etc/retail /etc/systemd/system/retail-server.service 2>&1 || true)
"$install" --dry-run --prefix "$tmp/prefix" --bin-dir "$bin_dir" >"$tmp/out" 2>&1 ||
  { cat "$tmp/out"; fail "--dry-run failed"; }
cat "$tmp/out"
[[ ! -e "$tmp/prefix" ]] || fail "--dry-run created $tmp/prefix"
[[ "$(ls -d /etc/retail /etc/systemd/system/retail-server.service 2>&1 || true)" == "$etc_before" ]] ||
  fail "--dry-run changed /etc"
grep -q "^would install: .*/retail_server -> $tmp/prefix/bin/retail_server" "$tmp/out" ||
  fail "--dry-run does not say where retail_server goes"
grep -q "ExecStart=$tmp/prefix/bin/retail_server" "$tmp/out" ||
  fail "--dry-run does not show the unit's ExecStart under --prefix"
grep -q "^done (dry run)$" "$tmp/out" || fail "--dry-run did not finish"

step "--dry-run --enable-now is refused without systemd, or planned with it"
if [[ ! -d /run/systemd/system ]]; then
  rc=0
  "$install" --dry-run --enable-now --bin-dir "$bin_dir" >"$tmp/out" 2>&1 || rc=$?
  ((rc == 2)) || fail "--enable-now without systemd: exit $rc, expected 2"
fi

step "--destdir: files, modes, the unit rewritten for --prefix /opt/retail"
root="$tmp/root"
"$install" --destdir "$root" --prefix /opt/retail --bin-dir "$bin_dir" >"$tmp/out" 2>&1 ||
  { cat "$tmp/out"; fail "--destdir install failed"; }
mode() { stat -c %a "$1"; }
for f in opt/retail/bin/retail_server opt/retail/bin/retailctl; do
  [[ -x "$root/$f" ]] || fail "$f not installed"
  [[ "$(mode "$root/$f")" == 755 ]] || fail "$f mode $(mode "$root/$f")"
done
cmp -s "$bin_dir/retail_server" "$root/opt/retail/bin/retail_server" || fail "retail_server differs"
unit="$root/etc/systemd/system/retail-server.service"
[[ "$(mode "$unit")" == 644 ]] || fail "unit mode $(mode "$unit")"
grep -q '^ExecStart=/opt/retail/bin/retail_server ' "$unit" || fail "ExecStart not under --prefix"
! grep -v "^#" "$unit" | grep -q /usr/local || fail "the unit still runs something in /usr/local"
[[ "$(mode "$root/etc/retail")" == 750 ]] || fail "/etc/retail mode $(mode "$root/etc/retail")"
[[ "$(mode "$root/etc/retail/auth.conf")" == 600 ]] || fail "auth.conf mode"
[[ "$(mode "$root/etc/retail/retail-server.env")" == 644 ]] || fail "retail-server.env mode"
! grep -v '^#' "$root/etc/retail/auth.conf" | grep -q . || fail "template auth.conf holds a principal"

step "a second run changes nothing and keeps an edited auth.conf"
echo "# edited by the operator" >>"$root/etc/retail/auth.conf"
cp "$root/etc/retail/auth.conf" "$tmp/auth.before"
"$install" --destdir "$root" --prefix /opt/retail --bin-dir "$bin_dir" >"$tmp/out" 2>&1 ||
  { cat "$tmp/out"; fail "second install failed"; }
cat "$tmp/out"
! grep -Eq '^(install: (installed|created|mkdir|chmod|chown))' "$tmp/out" ||
  fail "the second run changed something"
cmp -s "$tmp/auth.before" "$root/etc/retail/auth.conf" || fail "auth.conf was overwritten"
echo "ok"
