#!/usr/bin/env bash
# Two builds of cnc side by side on this host (each with its own state root and the same busybox
# image): `run --rm --network none` and `run --rm` on the default bridge through hyperfine in one
# run, then cncapply on a 20-service spec (first apply, no-op (median of NOOPS), one of 20
# replaced, down), alternating old and new for ROUNDS rounds. NETWORK=default (the default: every
# service on the app's bridge, the hot path) or NETWORK=none (`network_mode: none`). SKIP_RUN=1
# skips the `run --rm` part. Needs root and two release builds:
#   make build CONFIG=release  (and the same for the old commit in another worktree)
#   bash bench/ab.sh OLD_BIN_DIR NEW_BIN_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "${1:?usage: ab.sh OLD_BIN_DIR NEW_BIN_DIR}")
new=$(realpath "${2:?usage: ab.sh OLD_BIN_DIR NEW_BIN_DIR}")
RUNS=${RUNS:-40}
ROUNDS=${ROUNDS:-3}
NETWORK=${NETWORK:-default}
NOOPS=${NOOPS:-5}
SKIP_RUN=${SKIP_RUN:-0}
work=$(mktemp -d /tmp/cnc-bench-ab.XXXXXX)
source bench/lib/cnc-root.sh
cleanup() {
  for v in old new; do cnc_root_clear "${!v}" "$work/$v" ab20; done
  rm -rf "$work"
}
trap cleanup EXIT

scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
for v in old new; do
  bin=${!v}
  "$bin/cnc" import --root "$work/$v" "$work/rootfs.tar" busybox:bench >/dev/null
  "$bin/cnc" run --root "$work/$v" --rm --network none busybox:bench /bin/true  # warm caches
  "$bin/cnc" run --root "$work/$v" --rm busybox:bench /bin/true >/dev/null 2>&1 || true
done
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$SKIP_RUN" != 1 ]; then
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/run.json" \
  "$old/cnc run --root $work/old --rm --network none busybox:bench /bin/true" \
  "$new/cnc run --root $work/new --rm --network none busybox:bench /bin/true" \
  "$old/cnc run --root $work/old --rm --network bridge busybox:bench /bin/true" \
  "$new/cnc run --root $work/new --rm --network bridge busybox:bench /bin/true" >/dev/null
python3 - "$work/run.json" <<'PY'
import json, sys
r = [x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]]
print(f"run --rm --network none: old {r[0]:.2f} ms, new {r[1]:.2f} ms, new/old = {r[1]/r[0]:.3f}")
print(f"run --rm (bridge):       old {r[2]:.2f} ms, new {r[3]:.2f} ms, new/old = {r[3]/r[2]:.3f}")
PY
fi

spec() {  # spec N ENV FIRST_ENV
  echo "name: ab20"
  echo "services:"
  for i in $(seq 1 20); do
    v=$2; [ "$i" = 1 ] && v=${3:-$2}
    cat <<YAML
  svc$i:
    image: busybox:bench
    command: ["sleep", "1d"]
    stop_grace_period: 0s
    environment: {N: "$i", V: "$v"}
    cpus: 0.1
    mem_limit: 32m
YAML
    [ "$NETWORK" = none ] && echo "    network_mode: none"
  done
  return 0
}
spec 20 1 > "$work/a.yaml"
spec 20 1 2 > "$work/b.yaml"
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); python3 -c "print($e-$s)"; }
: > "$work/apply.txt"
# The order alternates by round: a down's deletions slow the next first apply's file creations
# on a journal-less ext4 for a minute or more (BENCHMARKS.md, session 12), which a fixed
# old-then-new order charged to new every round.
for round in $(seq "$ROUNDS"); do
  order="old new"; [ $((round % 2)) = 0 ] && order="new old"
  for v in $order; do
    bin=${!v}
    a=(--root "$work/$v")
    first=$(t "$bin/cncapply" -f "$work/a.yaml" "${a[@]}")
    noop=$(for _ in $(seq "$NOOPS"); do t "$bin/cncapply" -f "$work/a.yaml" "${a[@]}"; done | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    one=$(t "$bin/cncapply" -f "$work/b.yaml" "${a[@]}")
    down=$(t "$bin/cncapply" down -p ab20 -t 0 "${a[@]}")
    echo "$v $first $noop $one $down" >> "$work/apply.txt"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
NETWORK=$NETWORK python3 - "$work/apply.txt" <<'PY'
import os, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = ["first apply", "no-op apply", "1 of 20 replaced", "down"]
for i, n in enumerate(names):
    o = statistics.median(float(r[i + 1]) for r in rows if r[0] == "old") * 1000
    w = statistics.median(float(r[i + 1]) for r in rows if r[0] == "new") * 1000
    print(f"20 services ({os.environ['NETWORK']} network), {n:17}: old {o:7.1f} ms, new {w:7.1f} ms, new/old = {w/o:.3f}")
PY
