#!/usr/bin/env bash
# Compose's develop.watch in `cncapply watch` (issue 13): edit-to-serving, measured with curl
# through a published loopback port, in one run:
#   sync    — busybox httpd whose ./html is a `sync` rule: write html/index.html -> curl serves it
#   rebuild — examples/httpserver with `{action: rebuild, path: ./server.c}`: change the greeting
#             in server.c -> rebuilt (gcc in the build stage) -> replaced -> curl answers it
# and gcc's own time for server.c on the host, to subtract. Issue target: rebuild < 1.5 s plus
# the compiler's time.
#   bash bench/devwatch.sh            (BIN=.build/debug by default, RUNS=5)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/.build/debug}
RUNS=${RUNS:-5}
work=$(mktemp -d /tmp/cnc-bench-devwatch.XXXXXX)
root=$work/root
source bench/lib/cnc-root.sh
watcher=
stop_watcher() {
  if [ -n "$watcher" ]; then kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true; watcher=; fi
}
cleanup() {
  stop_watcher
  cnc_root_clear "$BIN" "$root" devsync httpserver
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# serve_after T0 PORT TEXT: ms from T0 until http://127.0.0.1:PORT/PATH's body contains TEXT.
serve_after() {
  local t0=$1 url=$2 want=$3
  for _ in $(seq 1 3000); do
    if curl -s --connect-timeout 0.1 --max-time 0.2 "$url" 2>/dev/null | grep -qF "$want"; then echo $(( $(now_ms) - t0 )); return; fi
    sleep 0.005
  done
  echo "timeout"; return 1
}
watch_start() {  # watch_start DIR [CMD...]: cncapply watch (or CMD) in DIR, until it watches
  local dir=$1; shift
  (cd "$dir" && exec "$BIN/cncapply" "${@:-watch}" --root "$root") > "$work/watch.log" 2>&1 &
  watcher=$!
  for _ in $(seq 1 600); do grep -qE "Watch enabled|^watching" "$work/watch.log" && return; sleep 0.1; done
  cat "$work/watch.log"; exit 1
}

scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$BIN/cnc" import --root "$root" "$work/rootfs.tar" busybox:bench >/dev/null
CNC=$BIN/cnc scripts/make-toolchain-image.sh --from-installed --root "$root" >/dev/null

port=$((20000 + RANDOM % 20000))
mkdir -p "$work/sync/html"
echo v0 > "$work/sync/html/index.html"
cat > "$work/sync/app.yaml" <<YAML
name: devsync
services:
  web:
    image: busybox:bench
    command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1:$port:8080"]
    stop_grace_period: 0s
    develop:
      watch:
        - {action: sync, path: ./html, target: /www, initial_sync: true}
YAML
watch_start "$work/sync"
serve_after "$(now_ms)" "http://127.0.0.1:$port/index.html" v0 >/dev/null
sync_ms=()
for i in $(seq 1 "$RUNS"); do
  t0=$(now_ms); echo "edit$i" > "$work/sync/html/index.html"
  sync_ms+=("$(serve_after "$t0" "http://127.0.0.1:$port/index.html" "edit$i")")
  sleep 0.5
done
stop_watcher
"$BIN/cncapply" down --root "$root" -p devsync -t 0 >/dev/null

# rebuild_runs MARK CMD...: edit server.c RUNS times under `cncapply CMD`, ms to the new greeting.
rebuild_runs() {
  local mark=$1 t0 i out=(); shift
  watch_start "$work/hs" "$@"
  serve_after "$(now_ms)" "http://127.0.0.1:$hport/" "from httpserver" >/dev/null
  for i in $(seq 1 "$RUNS"); do
    sed "s/hello[0-9a-z]* from/hello$mark$i from/" "$work/hs/server.c" > "$work/server.c.new"
    t0=$(now_ms); cat "$work/server.c.new" > "$work/hs/server.c"
    out+=("$(serve_after "$t0" "http://127.0.0.1:$hport/" "hello$mark$i from")")
    sleep 4  # the apply's 2 s monitor window (failure_action: rollback) ends before the next edit
  done
  stop_watcher
  echo "${out[*]}"
}
hport=$((20000 + RANDOM % 20000))
export WEB_PORT=$hport
cp -r examples/httpserver "$work/hs"
watch_ms=$(rebuild_runs w apply --watch)
printf '    develop:\n      watch:\n        - {action: rebuild, path: ./server.c}\n' >> "$work/hs/app.yaml"
rebuild_ms=$(rebuild_runs d watch)
gcc_ms=()
for i in $(seq 1 "$RUNS"); do
  t0=$(now_ms); gcc -static -O2 -Wall -o "$work/hs.bin" "$work/hs/server.c"; gcc_ms+=($(( $(now_ms) - t0 )))
done
echo "sync    edit -> served (ms): ${sync_ms[*]}"
echo "rebuild edit -> served (ms), develop.watch rebuild rule (cncapply watch): $rebuild_ms"
echo "rebuild edit -> served (ms), no develop section (cncapply apply --watch): $watch_ms"
echo "gcc -static -O2 server.c on the host (ms): ${gcc_ms[*]}"
