#!/usr/bin/env bash
# Reconciler benchmarks: cncapply on a 20-service spec (first apply, no-op apply, one env
# change with stop timeout 0, down) and a no-op apply of 100 services. Debian's docker-compose
# cannot run here (no Docker engine on this kind of machine), so its figures are the ones
# measured on this host in ../shared/notes/anchors.md (1.29, 20 services, same shape).
#   make build CONFIG=release && bash bench/apply.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/.build/release}
work=$(mktemp -d /tmp/cnc-bench-apply.XXXXXX)
root=$work/root
trap '"$BIN/cncapply" down --root "$root" -p bench20 -t 0 >/dev/null 2>&1 || true; "$BIN/cncapply" down --root "$root" -p bench100 -t 0 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$BIN/cnc" import --root "$root" "$work/rootfs.tar" busybox:bench >/dev/null

spec() {  # spec NAME N ENV
  echo "name: $1"
  echo "services:"
  for i in $(seq 1 "$2"); do
    cat <<YAML
  svc$i:
    image: busybox:bench
    command: ["sleep", "1d"]
    network_mode: none
    stop_grace_period: 0s
    environment: {N: "$i", V: "${3:-1}"}
    cpus: 0.1
    mem_limit: 32m
YAML
  done
}
spec bench20 20 1 > "$work/20.yaml"
spec bench100 100 1 > "$work/100.yaml"

ms() { python3 -c "import sys; print(f'{float(sys.argv[1])*1000:.0f} ms')" "$1"; }
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); python3 -c "print($e-$s)"; }

echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
first=$(t "$BIN/cncapply" -f "$work/20.yaml" --root "$root")
echo "20 services, first apply: $(ms "$first")   (docker-compose up -d: 7.1 s -> $(python3 -c "print(f'{7.1/$first:.0f}x')"); target >= 7x)"
hyperfine -N --warmup 3 --runs 20 --export-json "$work/noop.json" "$BIN/cncapply -f $work/20.yaml --root $root" >/dev/null
noop=$(python3 -c "import json; print(json.load(open('$work/noop.json'))['results'][0]['median'])")
echo "20 services, no-op apply: $(ms "$noop") median   (docker-compose: 0.96 s -> $(python3 -c "print(f'{0.96/$noop:.0f}x')"); target >= 30x)"
spec bench20 20 2 > "$work/20.yaml"
change=$(t "$BIN/cncapply" -f "$work/20.yaml" --root "$root")
echo "20 services, one env change... (all 20 share V): $(ms "$change")"
# One service changes: only svc1's env differs.
spec bench20 20 2 | sed '0,/V: "2"/s//V: "3"/' > "$work/20b.yaml"
one=$(t "$BIN/cncapply" -f "$work/20b.yaml" --root "$root")
echo "20 services, 1 of 20 replaced: $(ms "$one")   (docker-compose up -d -t 0: 1.69 s -> $(python3 -c "print(f'{1.69/$one:.0f}x')"); target >= 10x)"
down=$(t "$BIN/cncapply" down -p bench20 -t 0 --root "$root")
echo "20 services, down: $(ms "$down")   (docker-compose down -t 0: 3.06 s -> $(python3 -c "print(f'{3.06/$down:.0f}x')"); target >= 6x)"
"$BIN/cncapply" -f "$work/100.yaml" --root "$root" >/dev/null
hyperfine -N --warmup 3 --runs 20 --export-json "$work/noop100.json" "$BIN/cncapply -f $work/100.yaml --root $root" >/dev/null
noop100=$(python3 -c "import json; print(json.load(open('$work/noop100.json'))['results'][0]['median'])")
echo "100 services, no-op apply: $(ms "$noop100") median   (target < 100 ms)"
