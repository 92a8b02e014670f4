#!/usr/bin/env bash
# Runtime benchmarks, side by side with runc on the same busybox rootfs (crun refuses this
# host's hybrid cgroups; see ../shared/notes/anchors.md). Needs root and a release build:
#   make build CONFIG=release && bash bench/runtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CNC=${CNC:-$(pwd)/.build/release/cnc}
RUNS=${RUNS:-60}
N=${N:-200}
work=$(mktemp -d /tmp/cnc-bench.XXXXXX)
root=$work/root
# The default network (made by the default-bridge run below) goes with the root, bridge and table.
trap 'ids=$("$CNC" ps -aq --no-trunc --root "$root" 2>/dev/null || true); [ -n "$ids" ] && "$CNC" rm -f --root "$root" $ids >/dev/null 2>&1; "$CNC" network rm --root "$root" cnc >/dev/null 2>&1 || true; runc delete -f cnc-bench-runc >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

source bench/lib/runc-bundle.sh
runc_bundle "$work"

# The same rootfs as an image in cnc's store, so `run` goes through image lookup.
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$CNC" import --root "$root" "$work/rootfs.tar" busybox:bench >/dev/null

echo "== run --rm --network none IMAGE /bin/true: cnc vs runc (same rootfs, new empty network namespace);"
echo "   and cnc's default (no --network: the default bridge) in the same run"
"$CNC" run --root "$root" --rm --network none busybox:bench /bin/true  # warms the seccomp and layer caches
"$CNC" run --root "$root" --rm busybox:bench /bin/true  # makes the default network
# A second runc bundle with the seccomp profile cnc applies (taken from a cnc container's OCI
# config.json): `runc spec` has none, cnc loads Docker's default profile.
mkdir -p "$work/bundle-seccomp"
sid=$("$CNC" create --root "$root" --network none busybox:bench /bin/true)
python3 - "$work" "$root/containers/$sid/config.json" <<'PY'
import json, sys
w, ours = sys.argv[1], json.load(open(sys.argv[2]))
c = json.load(open(f"{w}/bundle/config.json"))
c["linux"]["seccomp"] = ours["linux"]["seccomp"]
json.dump(c, open(f"{w}/bundle-seccomp/config.json", "w"), indent=1)
PY
"$CNC" rm --root "$root" "$sid" >/dev/null
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/h.json" \
  "$CNC run --root $root --rm --network none busybox:bench /bin/true" \
  "runc run --bundle $work/bundle cnc-bench-runc" \
  "runc run --bundle $work/bundle-seccomp cnc-bench-runc" \
  "$CNC run --root $root --rm busybox:bench /bin/true"
python3 - "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
cnc, runc, runcsc, bridge = (x["median"] * 1000 for x in r)
print(f"median cnc --network none {cnc:.1f} ms, runc {runc:.1f} ms, cnc/runc = {cnc / runc:.2f} (target <= 0.36)")
print(f"runc with cnc's seccomp profile {runcsc:.1f} ms, cnc/runc = {cnc / runcsc:.2f}")
print(f"cnc default bridge {bridge:.1f} ms: +{bridge - cnc:.1f} ms over --network none (target <= +10 ms)")
PY

echo "== run --rm --network none IMAGE /bin/true: with and without --userns auto (side by side)"
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/u.json" \
  "$CNC run --root $root --rm --network none busybox:bench /bin/true" \
  "$CNC run --root $root --rm --userns auto --network none busybox:bench /bin/true"
python3 - "$work/u.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
plain, userns = (x["median"] * 1000 for x in r)
print(f"median without {plain:.2f} ms, --userns auto {userns:.2f} ms: +{userns - plain:.2f} ms (target <= +2 ms)")
PY

echo "== $N sequential cnc run -d --network none ... sleep 1d"
start=$(date +%s.%N)
for i in $(seq "$N"); do
  "$CNC" run --root "$root" -d --network none busybox:bench sleep 1d >/dev/null
done
end=$(date +%s.%N)
echo "start $N: $(python3 -c "print(f'{$end - $start:.2f} s')") (target < 5 s)"

echo "== idle memory per container (monitor PSS + container cgroup)"
python3 bench/idle-memory.py "$root" "" " (target < 0.6 MB)"

echo "== cnc rm -f of all $N"
ids=$("$CNC" ps -aq --no-trunc --root "$root")
start=$(date +%s.%N)
"$CNC" rm -f --root "$root" $ids >/dev/null
end=$(date +%s.%N)
echo "rm -f $N: $(python3 -c "print(f'{$end - $start:.2f} s')") (target < 3 s)"
