#!/usr/bin/env bash
# Reconciler benchmarks, side by side with docker-compose 1.29 on a private dockerd (Debian's
# docker.io; see bench/lib/private-dockerd.sh): 20 busybox services, first apply / no-op apply /
# one of 20 replaced (stop timeout 0) / down, in both network modes:
#   default — every service on the app's default bridge network (what users get; the hot path)
#   none    — `network_mode: none` (the engine without networking)
# then a no-op apply of 100 services (cnc only). Phases alternate cnc and compose in one run.
#   make build CONFIG=release && bash bench/apply.sh
# MODES="default" limits the modes; PEER=0 skips docker-compose (cnc figures only).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/.build/release}
MODES=${MODES:-default none}
PEER=${PEER:-1}
NOOP_RUNS=${NOOP_RUNS:-20}
work=$(mktemp -d /tmp/cnc-bench-apply.XXXXXX)
root=$work/root
source bench/lib/private-dockerd.sh
source bench/lib/cnc-root.sh
cleanup() {
  cnc_root_clear "$BIN" "$root" bench20 bench100
  private_dockerd_stop
  rm -rf "$work"
}
trap cleanup EXIT

scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$BIN/cnc" import --root "$root" "$work/rootfs.tar" busybox:bench >/dev/null
if [ "$PEER" = 1 ]; then
  private_dockerd_start "$work/docker"
  docker import "$work/rootfs.tar" busybox:bench >/dev/null
fi

spec() {  # spec NAME N VALUE MODE [ONE]: N services; with ONE, only svc1 gets VALUE+1
  [ -n "$1" ] && echo "name: $1"
  echo "services:"
  for i in $(seq 1 "$2"); do
    local v=$3
    [ -n "${5:-}" ] && [ "$i" = 1 ] && v=$(($3 + 1))
    cat <<YAML
  svc$i:
    image: busybox:bench
    command: ["sleep", "1d"]
    stop_grace_period: 0s
    environment: {N: "$i", V: "$v"}
    cpus: 0.1
    mem_limit: 32m
YAML
    [ "$4" = none ] && echo "    network_mode: none"
  done
  return 0
}

ms() { python3 -c "import sys; print(f'{float(sys.argv[1])*1000:.0f} ms')" "$1"; }
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); python3 -c "print($e-$s)"; }
median() {  # median RUNS CMD...: hyperfine's median in seconds
  local runs=$1; shift
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/h.json" "$*" >/dev/null 2>&1
  python3 -c "import json; print(json.load(open('$work/h.json'))['results'][0]['median'])"
}
row() {  # row LABEL CNC PEER TARGET
  if [ "$PEER" = 1 ]; then
    python3 -c "import sys; l,c,p,t=sys.argv[1:]; c=float(c); p=float(p); r=p/c
print(f'{l:<28} cnc {c*1000:7.0f} ms   docker-compose {p*1000:7.0f} ms   {r:5.1f}x  (target >= {t}x: {\"met\" if r >= float(t) else \"NOT met\"})')" "$@"
  else
    echo "$1: cnc $(ms "$2")"
  fi
}

echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); cnc $BIN"
compose() { docker-compose -p bench20 -f "$work/compose.yaml" "$@"; }
for mode in $MODES; do
  echo "== 20 services, network: $mode"
  spec bench20 20 1 "$mode" > "$work/20.yaml"
  spec "" 20 1 "$mode" > "$work/compose.yaml"
  c=$(t "$BIN/cncapply" -f "$work/20.yaml" --root "$root")
  p=0; [ "$PEER" = 1 ] && p=$(t compose up -d)
  row "first apply" "$c" "$p" 10
  c=$(median "$NOOP_RUNS" "$BIN/cncapply" -f "$work/20.yaml" --root "$root")
  p=0; [ "$PEER" = 1 ] && p=$(median 5 docker-compose -p bench20 -f "$work/compose.yaml" up -d)
  row "no-op apply (median)" "$c" "$p" 30
  spec bench20 20 1 "$mode" one > "$work/20.yaml"
  spec "" 20 1 "$mode" one > "$work/compose.yaml"
  c=$(t "$BIN/cncapply" -f "$work/20.yaml" --root "$root")
  p=0; [ "$PEER" = 1 ] && p=$(t compose up -d -t 0)
  row "1 of 20 replaced" "$c" "$p" 15
  c=$(t "$BIN/cncapply" down -p bench20 -t 0 --root "$root")
  p=0; [ "$PEER" = 1 ] && p=$(t compose down -t 0)
  row "down" "$c" "$p" 10
done

spec bench100 100 1 none > "$work/100.yaml"
"$BIN/cncapply" -f "$work/100.yaml" --root "$root" >/dev/null
noop100=$(median "$NOOP_RUNS" "$BIN/cncapply" -f "$work/100.yaml" --root "$root")
echo "100 services (network none), no-op apply: $(ms "$noop100") median   (target < 100 ms)"
