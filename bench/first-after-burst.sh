#!/usr/bin/env bash
# A first apply of 20 busybox services right after a burst of file deletions, for one or two
# builds, alternating. On an ext4 without a journal the inode allocator skips the inodes deleted
# in the last minutes (`recently_deleted`), so a first apply that runs right after a teardown (a
# bench's, a test suite's) pays for every file it creates in that block group. Each round makes
# BURST*100 empty files beside the state root, deletes them, and times one first apply per build
# in a fresh root (then takes it down). Needs root:
#   BURST=100 ROUNDS=3 bash bench/first-after-burst.sh OLD_BIN_DIR [NEW_BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BURST=${BURST:-100}
ROUNDS=${ROUNDS:-3}
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
[ ${#bins[@]} -ge 1 ] || { echo "usage: first-after-burst.sh BIN_DIR [BIN_DIR]" >&2; exit 2; }
work=$(mktemp -d /tmp/cnc-bench-burst.XXXXXX)
source bench/lib/cnc-root.sh
current=""
cleanup() {
  [ -n "$current" ] && cnc_root_clear "${current%%|*}" "${current#*|}" burst20
  rm -rf "$work"
}
trap cleanup EXIT
scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
{ echo "name: burst20"; echo "services:"; for i in $(seq 1 20); do cat <<YAML
  svc$i:
    image: busybox:bench
    command: ["sleep", "1d"]
    stop_grace_period: 0s
    environment: {N: "$i"}
    cpus: 0.1
    mem_limit: 32m
YAML
done; } > "$work/spec.yaml"
fs=$(stat -f -c %T "$work")
journal=$(cat /sys/fs/ext4/*/journal_task 2>/dev/null | head -1 || true)
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $work on $fs (ext4 journal task: ${journal:-n/a}); burst of $((BURST * 100)) files"
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which build goes first: the first one's teardown is the second one's burst too.
  order=("${bins[@]}"); [ $((round % 2)) = 0 ] && [ ${#bins[@]} = 2 ] && order=("${bins[1]}" "${bins[0]}")
  for bin in "${order[@]}"; do
    root="$work/root"
    "$bin/cnc" import --root "$root" "$work/rootfs.tar" busybox:bench >/dev/null
    mkdir "$work/burst"
    for d in $(seq 1 "$BURST"); do mkdir "$work/burst/$d"; (cd "$work/burst/$d" && touch $(seq 1 100)); done
    rm -rf "$work/burst"
    current="$bin|$root"
    s=$(date +%s%N)
    "$bin/cncapply" -f "$work/spec.yaml" --root "$root" >/dev/null
    e=$(date +%s%N)
    echo "round $round: $bin first apply after the burst: $(( (e - s) / 1000000 )) ms"
    cnc_root_clear "$bin" "$root" burst20
    current=""
    rm -rf "$root"
  done
done
