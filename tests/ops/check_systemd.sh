#!/usr/bin/env bash
# Checks ops/systemd: the unit parses cleanly (`systemd-analyze verify`, no warnings),
# keeps its hardening (required directives, `systemd-analyze security` exposure <= 2.0),
# and the sysusers.d file creates the doorstep user. Works without a running systemd:
# everything runs against a throwaway root with the host's unit files, the binary at
# /usr/local/bin/doorstep and the unit in /etc/systemd/system.
#
#   tests/ops/check_systemd.sh BINARY
#
# Exit 0 pass, 1 fail, 77 skipped (no systemd-analyze or no system unit files here).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi
binary=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
unit="$here/../../ops/systemd/doorstep.service"
sysusers="$here/../../ops/systemd/doorstep.sysusers.conf"

units=""
for d in /usr/lib/systemd/system /lib/systemd/system; do
  [[ -f "$d/sysinit.target" ]] && { units=$d; break; }
done
if ! command -v systemd-analyze >/dev/null || [[ -z "$units" ]]; then
  echo "check_systemd: systemd-analyze or the system unit files are not installed; skipped" >&2
  exit 77
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/doorstep-systemd.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd" "$root/usr/local/bin" "$root/etc/systemd/system"
cp -r "$units" "$root/usr/lib/systemd/system"
cp "$binary" "$root/usr/local/bin/doorstep"
cp "$unit" "$root/etc/systemd/system/doorstep.service"

failed=0
fail() { echo "check_systemd: FAIL: $*" >&2; failed=1; }

# 1. syntax: rc 0 and not a single warning (unknown keys and bad values are warnings)
if ! out=$(systemd-analyze verify --root="$root" /etc/systemd/system/doorstep.service 2>&1); then
  fail "systemd-analyze verify failed:"$'\n'"$out"
elif [[ -n "$out" ]]; then
  fail "systemd-analyze verify warns:"$'\n'"$out"
else
  echo "check_systemd: systemd-analyze verify: clean"
fi

# 2. the hardening the runbook promises
required=(
  "User=doorstep"
  "ExecStart=/usr/local/bin/doorstep --config /etc/doorstep/doorstep.yaml serve --listen 127.0.0.1:8080 --data /var/lib/doorstep --backup-dir /var/lib/doorstep/backups"
  "ReadWritePaths=/var/lib/doorstep"
  "ProtectSystem=strict"
  "NoNewPrivileges=yes"
  "PrivateTmp=yes"
  "CapabilityBoundingSet="
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
  "SystemCallFilter=@system-service"
  "MemoryDenyWriteExecute=yes"
  "ProtectHome=yes"
  "PrivateDevices=yes"
  "RestrictNamespaces=yes"
)
for line in "${required[@]}"; do
  grep -qxF -- "$line" "$unit" || fail "doorstep.service lacks the line: $line"
done

# 3. overall exposure (0 = locked down, 10 = unprotected)
sec=$(systemd-analyze security --offline=true --root="$root" /etc/systemd/system/doorstep.service 2>&1 || true)
score=$(sed -n 's/.*Overall exposure level for doorstep.service: \([0-9.]*\).*/\1/p' <<<"$sec")
if [[ -z "$score" ]]; then
  fail "no exposure level from systemd-analyze security:"$'\n'"$sec"
elif ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
  fail "exposure level $score > 2.0:"$'\n'"$(grep '✗' <<<"$sec")"
else
  echo "check_systemd: systemd-analyze security: exposure $score"
fi

# 4. the user
if systemd-sysusers --root="$root" "$sysusers" >/dev/null 2>&1 && grep -q '^doorstep:' "$root/etc/passwd"; then
  echo "check_systemd: sysusers creates the doorstep user"
else
  fail "systemd-sysusers did not create the doorstep user from $sysusers"
fi

exit "$failed"
