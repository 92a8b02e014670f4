#!/usr/bin/env bash
# Networking benchmarks, side by side (results go to BENCHMARKS.md, "Networking"):
#  1. attach+detach of one container: cnc's native bridge driver vs the CNI bridge+portmap+firewall
#     plugins (the same cnc code path: `cnc network connect` / `disconnect` of a running container)
#  2. `cnc run --rm IMAGE true` with --network none, a named bridge network and the default network
#     (no --network: docker's default) — the added cost of a bridge
#  3. `-p` httpd: run until the first HTTP 200 on 127.0.0.1 (podman's figure: anchors.md)
#  4. 100 containers on one network start, then each reaches the next by name
# Needs root, a release build (swift build -c release), hyperfine, busybox-static, CNI plugins.
set -euo pipefail
cd "$(dirname "$0")/.."
# Nothing is forwarded to the host's resolvers: every name looked up here is a container's.
export CNC_DNS_UPSTREAM=none
BIN=${BIN:-.build/release}
CNC="$BIN/cnc"
WORK=$(mktemp -d /tmp/cnc-bench-net.XXXXXX)
ROOT="$WORK/state"
RUNS=${RUNS:-20}
N=${N:-100}
export CNC_LIBEXEC=$(cd "$BIN" && pwd)

# A busybox root filesystem stands in for an image (what is measured is networking).
mkdir -p "$WORK/rootfs/bin" "$WORK/rootfs/www" "$WORK/rootfs/etc"
cp /bin/busybox "$WORK/rootfs/bin/"
for c in sh true sleep httpd ping wget cat nslookup; do ln -sf busybox "$WORK/rootfs/bin/$c"; done
echo ok > "$WORK/rootfs/www/index.html"
cnc() { "$CNC" --root "$ROOT" "$@"; }

# Free 10.x /24 subnets (not in any route).
free_subnet() {
  local routes; routes=$(ip -4 route show table all)
  while :; do
    local s="10.$((RANDOM % 100 + 120)).$((RANDOM % 256))"
    grep -q "$s\." <<<"$routes" || { echo "$s.0/24"; return; }
  done
}
BR_SUBNET=$(free_subnet); CNI_SUBNET=$(free_subnet); BIG_SUBNET="$(free_subnet | sed 's|/24|/22|;s|\.[0-9]*\.0/22|.0.0/22|')"
CNI_BRIDGE="cncbench$((RANDOM % 1000))"

cleanup() {
  cnc rm -f $(cnc ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  cnc network prune -f >/dev/null 2>&1 || true
  cnc network rm cnc >/dev/null 2>&1 || true
  ip link del "$CNI_BRIDGE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== 1. attach+detach: native bridge driver vs CNI bridge+portmap+firewall"
cnc network create --subnet "$BR_SUBNET" benchnet >/dev/null
cat > "$WORK/cni.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "benchcni", "plugins": [
  {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$CNI_SUBNET"}]], "dataDir": "$WORK/cni-ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
  {"type": "firewall"}]}
JSON
cnc network create -d cni --conflist "$WORK/cni.conflist" benchcni >/dev/null
cnc run -d --name holder --rootfs "$WORK/rootfs" --network none img sleep 3600 >/dev/null
hyperfine -N -w 2 -r "$RUNS" --export-markdown "$WORK/attach.md" \
  -n "cnc bridge driver: connect+disconnect" "bash -c '$CNC --root $ROOT network connect benchnet holder && $CNC --root $ROOT network disconnect benchnet holder'" \
  -n "CNI bridge+portmap+firewall: connect+disconnect" "bash -c '$CNC --root $ROOT network connect benchcni holder && $CNC --root $ROOT network disconnect benchcni holder'" \
  -n "baseline: two cnc network ls" "bash -c '$CNC --root $ROOT network ls >/dev/null && $CNC --root $ROOT network ls >/dev/null'"
cat "$WORK/attach.md"
cnc rm -f holder >/dev/null

echo "== 2. cnc run --rm true: --network none vs a bridge network vs the default (no --network)"
# benchnet is a user network, so it has a DNS server (cnc-dns): with no other container on it,
# each run is the network's first and last container (the server is spawned and stopped every
# time); with a holder container running, the server is up and a run only checks its pidfile.
# The default network has no DNS server (as Docker's bridge).
cnc run --rm --rootfs "$WORK/rootfs" --network benchnet img true
cnc run --rm --rootfs "$WORK/rootfs" img true  # makes the default network
hyperfine -N -w 3 -r "$RUNS" --export-markdown "$WORK/run.md" \
  -n "cnc run --rm --network none" "$CNC --root $ROOT run --rm --rootfs $WORK/rootfs --network none img true" \
  -n "cnc run --rm --network benchnet (bridge; first container: starts and stops cnc-dns)" "$CNC --root $ROOT run --rm --rootfs $WORK/rootfs --network benchnet img true" \
  -n "cnc run --rm (default bridge)" "$CNC --root $ROOT run --rm --rootfs $WORK/rootfs img true"
cat "$WORK/run.md"
cnc run -d --name dnsholder --rootfs "$WORK/rootfs" --network benchnet img sleep 3600 >/dev/null
hyperfine -N -w 3 -r "$RUNS" --export-markdown "$WORK/run-dns.md" \
  -n "cnc run --rm --network none" "$CNC --root $ROOT run --rm --rootfs $WORK/rootfs --network none img true" \
  -n "cnc run --rm --network benchnet (bridge; cnc-dns already running)" "$CNC --root $ROOT run --rm --rootfs $WORK/rootfs --network benchnet img true" \
  -n "cnc run --rm --network benchnet img nslookup dnsholder (a DNS answer)" "$CNC --root $ROOT run --rm --rootfs $WORK/rootfs --network benchnet img nslookup dnsholder"
cat "$WORK/run-dns.md"
cnc rm -f dnsholder >/dev/null

echo "== 3. -p httpd: run until the first HTTP 200 on 127.0.0.1 (podman: 348 ms in anchors.md)"
times=()
for i in $(seq 1 10); do
  port=$((20000 + RANDOM % 20000))
  t0=$(date +%s%N)
  cnc run -d --name "web$i" --rootfs "$WORK/rootfs" --network benchnet -p "127.0.0.1:$port:80" img httpd -f -p 80 -h /www >/dev/null
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ]; do :; done
  t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000000 )))
  cnc rm -f "web$i" >/dev/null
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "first HTTP 200 (ms): $(echo $sorted) ; median $(sed -n "$(( (${#times[@]} + 1) / 2 ))p" <<<"$sorted")"

echo "== 4. $N containers on one network, each reaching the next by name"
cnc network create --subnet "$BIG_SUBNET" hundred >/dev/null
t0=$(date +%s%N)
for i in $(seq 1 "$N"); do
  cnc run -d --name "c$i" --rootfs "$WORK/rootfs" --network hundred img sleep 3600 >/dev/null
done
t1=$(date +%s%N)
echo "started $N containers in $(( (t1 - t0) / 1000000 )) ms ($(( (t1 - t0) / 1000000 / N )) ms each)"
fail=0
for i in $(seq 1 "$N"); do
  j=$(( i % N + 1 ))
  cnc exec "c$i" ping -c 1 -W 2 "c$j" >/dev/null 2>&1 || fail=$((fail + 1))
done
t2=$(date +%s%N)
echo "$((N - fail))/$N reached the next container by name ($(( (t2 - t1) / 1000000 )) ms for all pings)"
t3=$(date +%s%N)
cnc rm -f $(cnc ps -aq) >/dev/null
echo "removed $N containers in $(( ($(date +%s%N) - t3) / 1000000 )) ms"
