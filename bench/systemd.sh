#!/usr/bin/env bash
# Start time under the systemd cgroup driver, side by side with `runc --systemd-cgroup run`,
# inside the project's systemd harness (scripts/systemd-harness.sh: systemd 252 as PID 1 of
# private namespaces), on the same busybox rootfs, runs interleaved (the host is shared).
# Needs root. CNC=.build/release/cnc (default) or .build/debug/cnc; RUNS (default 30).
#   bash bench/systemd.sh           # start time
#   bash bench/systemd.sh update    # a live limit update: `cnc update --memory` of a running
#                                   # container (end to end, and the update itself from CNC_TRACE:
#                                   # cgroup files + SetUnitProperties), beside `runc update`
set -euo pipefail
cd "$(dirname "$0")/.."
CNC=${CNC:-$(pwd)/.build/release/cnc}
RUNS=${RUNS:-30}
export SDH_NAME=bench_systemd   # not cnc-*: its target would show among the units counted
work=$(mktemp -d /var/tmp/cnc-bench-systemd.XXXXXX)   # not /tmp: the harness shares the host's
trap 'scripts/systemd-harness.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
source bench/lib/runc-bundle.sh
runc_bundle "$work"
scripts/systemd-harness.sh start >/dev/null
if [ "${1:-start}" = update ]; then
  sed -i 's|"/bin/true"|"/bin/sleep", "1000"|' "$work/bundle/config.json"
  scripts/systemd-harness.sh exec /bin/bash -c "
set -e
'$CNC' --root '$work/root' --cgroup-manager systemd run -d --name upd --network none --rootfs '$work/rootfs' busybox sleep 1000 >/dev/null
runc --systemd-cgroup run -d -b '$work/bundle' bench-upd >/dev/null 2>&1 </dev/null
ta=0; tb=0; tin=0; tf=0
for i in \$(seq $RUNS); do
  m=\$(( (64 + i % 2) * 1048576 ))
  s=\$(date +%s%N); CNC_TRACE=1 '$CNC' --root '$work/root' update --memory \$m upd 2>'$work/trace' >/dev/null; e=\$(date +%s%N); ta=\$((ta + e - s))
  tin=\$((tin + \$(awk '/update: start/ {a=\$2} /update: unit properties set/ {b=\$2} END {printf \"%d\", (b - a) * 1000}' '$work/trace')))
  tf=\$((tf + \$(awk '/update: start/ {a=\$2} /update: cgroup files written/ {b=\$2} END {printf \"%d\", (b - a) * 1000}' '$work/trace')))
  s=\$(date +%s%N); runc --systemd-cgroup update --memory \$m bench-upd; e=\$(date +%s%N); tb=\$((tb + e - s))
done
u=\$(systemctl show -p MemoryMax cnc-\$('$CNC' --root '$work/root' inspect -f '{{.Id}}' upd).scope)
echo \"cnc update --memory (end to end):        \$((ta / $RUNS / 1000)) us/run\"
echo \"  of which the update (files + D-Bus):   \$((tin / $RUNS)) us/run (target < 5000)\"
echo \"    the cgroup files alone:              \$((tf / $RUNS)) us/run\"
echo \"runc --systemd-cgroup update --memory:   \$((tb / $RUNS / 1000)) us/run\"
echo \"last value as systemd shows it: \$u\"
'$CNC' --root '$work/root' rm -f upd >/dev/null
runc kill bench-upd KILL; sleep 0.3; runc delete -f bench-upd
sleep 0.2
echo \"units left: \$(systemctl list-units --all --no-legend --plain 'cnc-*' 'runc-*' | awk '{print \$1}' | tr '\\n' ' ')\"
"
  exit 0
fi
scripts/systemd-harness.sh exec /bin/bash -c "
set -e
cnc() { '$CNC' --root '$work/root' run --rm --network none --rootfs '$work/rootfs' busybox /bin/true; }
rc() { runc --systemd-cgroup run -b '$work/bundle' bench-\$1 >/dev/null; }
cnc; rc warm
ta=0; tb=0
for i in \$(seq $RUNS); do
  s=\$(date +%s%N); cnc; e=\$(date +%s%N); ta=\$((ta + e - s))
  s=\$(date +%s%N); rc \$i; e=\$(date +%s%N); tb=\$((tb + e - s))
done
echo \"cnc run --rm (systemd driver): \$((ta / $RUNS / 1000)) us/run\"
echo \"runc --systemd-cgroup run:     \$((tb / $RUNS / 1000)) us/run\"
awk -v a=\$ta -v b=\$tb 'BEGIN { printf \"ratio cnc/runc: %.2f (target <= 0.5)\n\", a / b }'
sleep 0.2
echo \"units left: \$(systemctl list-units --all --no-legend --plain 'cnc-*' 'runc-*' | awk '{print \$1}' | tr '\\n' ' ')\"
"
