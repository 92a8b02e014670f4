#!/usr/bin/env bash
# Start time under the systemd cgroup driver, side by side with `runc --systemd-cgroup run`,
# inside the project's systemd harness (scripts/systemd-harness.sh: systemd 252 as PID 1 of
# private namespaces), on the same busybox rootfs, runs interleaved (the host is shared).
# Needs root. CNC=.build/release/cnc (default) or .build/debug/cnc; RUNS (default 30).
#   bash bench/systemd.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CNC=${CNC:-$(pwd)/.build/release/cnc}
RUNS=${RUNS:-30}
export SDH_NAME=bench_systemd   # not cnc-*: its target would show among the units counted
work=$(mktemp -d /var/tmp/cnc-bench-systemd.XXXXXX)   # not /tmp: the harness shares the host's
trap 'scripts/systemd-harness.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
mkdir -p "$work/bundle"
(cd "$work/bundle" && runc spec)
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
c = json.load(open(f"{w}/bundle/config.json"))
c["root"] = {"path": f"{w}/rootfs", "readonly": True}
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
json.dump(c, open(f"{w}/bundle/config.json", "w"), indent=1)
PY
scripts/systemd-harness.sh start >/dev/null
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
