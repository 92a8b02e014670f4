#!/usr/bin/env bash
# Idle memory per container of two cnc-monitor builds side by side: the same cnc, cnc-init and
# image; only the monitor differs (CNC_LIBEXEC). Needs root. Build each monitor with
#   swift build -c release --static-swift-stdlib -Xlinker --no-pie --product cnc-monitor
# and copy .build/release/cnc-monitor away between the two commits; then
#   bash bench/monitor-memory.sh OLD_MONITOR NEW_MONITOR
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "${1:?usage: monitor-memory.sh OLD_MONITOR NEW_MONITOR}")
new=$(realpath "${2:?usage: monitor-memory.sh OLD_MONITOR NEW_MONITOR}")
CNC=${CNC:-$(pwd)/.build/release/cnc}
bin=$(dirname "$CNC")
N=${N:-200}
ROUNDS=${ROUNDS:-2}
work=$(mktemp -d /tmp/cnc-monitor-memory.XXXXXX)
root=$work/root
for v in old new; do
  mkdir -p "$work/$v"
  cp "${!v}" "$work/$v/cnc-monitor"
  ln -s "$bin/cnc-init" "$work/$v/cnc-init"
  ln -s "$bin/cnc-cli" "$work/$v/cnc-cli"
done
trap 'ids=$("$CNC" ps -aq --no-trunc --root "$root" 2>/dev/null || true); [ -n "$ids" ] && CNC_LIBEXEC=$work/new "$CNC" rm -f --root "$root" $ids >/dev/null 2>&1; rm -rf "$work"' EXIT
scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$CNC" import --root "$root" "$work/rootfs.tar" busybox:bench >/dev/null

for _ in $(seq "$ROUNDS"); do
  for v in old new; do
    for _ in $(seq "$N"); do
      CNC_LIBEXEC=$work/$v "$CNC" run --root "$root" -d --network none busybox:bench sleep 1d >/dev/null
    done
    sleep 2
    python3 bench/idle-memory.py "$root" "$v: " "" "$v"
    ids=$("$CNC" ps -aq --no-trunc --root "$root")
    CNC_LIBEXEC=$work/$v "$CNC" rm -f --root "$root" $ids >/dev/null
  done
done
