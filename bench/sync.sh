#!/usr/bin/env bash
# `cncapply sync` cost: a no-change cycle of 20 apps x 10 busybox services (network_mode: none:
# 20 apps on bridges would take 20 subnets of the shared pool), from a local git repository.
# First `--once` applies everything (timed, not the target); then RUNS no-change `--once -o json`
# runs, each measured two ways: the cycle's own CPU as the agent reports it (cpuMilliseconds:
# getrusage of itself and its children across the cycle: fetch, compile, observe, plan) and the
# whole process's CPU (user+sys of cncapply and its git children: start-up included).
#   make build CONFIG=release && bash bench/sync.sh        (BIN=.build/debug for a debug build;
#   MEASURED=path/to/cncapply measures another cncapply for the no-change cycles, the set-up
#   still using BIN's cnc, cncapply, cnc-init and cnc-monitor)
# Target (issue 17): a no-change cycle < 200 ms of CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/.build/release}
APPS=${APPS:-20}
SERVICES=${SERVICES:-10}
RUNS=${RUNS:-10}
MEASURED=${MEASURED:-$BIN/cncapply}
work=$(mktemp -d /tmp/cnc-bench-sync.XXXXXX)
root=$work/root
source bench/lib/cnc-root.sh
apps=()
for a in $(seq 1 "$APPS"); do apps+=("app$a"); done
cleanup() {
  cnc_root_clear "$BIN" "$root" "${apps[@]}"
  rm -rf "$work"
}
trap cleanup EXIT

scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$BIN/cnc" import --root "$root" "$work/rootfs.tar" busybox:bench >/dev/null

repo=$work/repo
git init -q -b main "$repo"
mkdir -p "$repo/apps"
for a in "${apps[@]}"; do
  {
    echo "services:"
    for i in $(seq 1 "$SERVICES"); do
      printf '  svc%s:\n    image: busybox:bench\n    command: ["sleep", "100000"]\n    network_mode: none\n    stop_grace_period: 0s\n    environment:\n      N: "%s"\n' "$i" "$i"
    done
  } > "$repo/apps/$a.yaml"
done
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@cnc.invalid commit -qm apps

s=$(date +%s.%N)
"$BIN/cncapply" sync --root "$root" --repo "$repo" --path apps --once >/dev/null
e=$(date +%s.%N)
python3 -c "print(f'first cycle ({$APPS} apps x {$SERVICES} services created): {($e-$s):.1f} s wall')"

python3 - "$MEASURED" "$root" "$repo" "$RUNS" <<'PY'
import json, resource, statistics, subprocess, sys, time
bin, root, repo, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cycle, proc, wall = [], [], []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    out = subprocess.run([bin, "sync", "--root", root, "--repo", repo, "--path", "apps", "--once", "-o", "json"],
                         capture_output=True, text=True, check=True).stdout
    wall.append((time.monotonic() - t) * 1000)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
    r = json.loads(out.strip().splitlines()[-1])
    assert all(a["outcome"] == "in-sync" for a in r["apps"]), out
    cycle.append(r["cpuMilliseconds"])
med = statistics.median
print(f"no-change cycle, {len(r['apps'])} apps: cycle CPU {med(cycle):.0f} ms (median of {runs}), "
      f"whole process CPU {med(proc):.0f} ms, wall {med(wall):.0f} ms")
PY
