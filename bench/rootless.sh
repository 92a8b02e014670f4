#!/usr/bin/env bash
# Rootless cnc's start, side by side: `run --rm --network none IMAGE /bin/true` as a throwaway
# unprivileged user vs root-run cnc (same binaries, same image) vs rootless podman (Debian's,
# installed here if missing) as the same user. Every command goes through the same cheap
# wrapper (setpriv + env -i, no PAM), root's too. Needs root:
#   make build CONFIG=release && bash bench/rootless.sh        # BIN=.build/debug for a debug build
# The user, its subordinate ids, its processes (by pid) and the temp dir go at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$(pwd)/.build/release}
RUNS=${RUNS:-40}
[ "$(id -u)" -eq 0 ] || { echo "bench/rootless.sh: run as root (it creates a throwaway user)" >&2; exit 1; }
command -v podman >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman >/dev/null; }
command -v newuidmap >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends uidmap >/dev/null; }

user=cncbench$RANDOM
work=$(mktemp -d /tmp/cnc-rootless-bench.XXXXXX)
chmod 755 "$work"
useradd -M -d "$work/home" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user"
uid=$(id -u "$user"); gid=$(id -g "$user")
start=$((500000000 + (uid % 4096) * 65536)); range=$start-$((start + 65535))
usermod --add-subuids "$range" --add-subgids "$range" "$user"
cleanup() {
  for p in $(pgrep -u "$user" || true); do kill -9 "$p" 2>/dev/null || true; done
  sleep 0.2
  usermod --del-subuids "$range" --del-subgids "$range" "$user" 2>/dev/null || true
  userdel "$user" 2>/dev/null || true
  ids=$("$work/bin/cnc" ps -aq --no-trunc --root "$work/root" 2>/dev/null || true)
  [ -n "$ids" ] && "$work/bin/cnc" rm -f --root "$work/root" $ids >/dev/null 2>&1
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

mkdir -p "$work/home" "$work/xdg" "$work/bin"
chown "$user:" "$work/home" "$work/xdg"; chmod 700 "$work/xdg"
for e in cnc cnc-cli cnc-init cnc-monitor cnc-net cnc-dns cncapply cnc-registry; do cp "$BIN/$e" "$work/bin/"; done
bash scripts/make-busybox-rootfs.sh "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
chmod 644 "$work/busybox.tar"

# The same wrapper for everyone: setpriv to the user (or root), a clean environment.
as_user="setpriv --reuid=$uid --regid=$gid --clear-groups env -i PATH=/usr/bin:/bin HOME=$work/home XDG_RUNTIME_DIR=$work/xdg"
as_root="setpriv --reuid=0 --regid=0 --clear-groups env -i PATH=/usr/bin:/bin HOME=/root"
# crun refuses this host's hybrid cgroups (see ../shared/notes/anchors.md): podman runs runc.
podman="podman --cgroup-manager cgroupfs --events-backend file --runtime runc"
(cd "$work" && $as_user "$work/bin/cnc" import busybox.tar busybox:bench >/dev/null)
(cd "$work" && $as_root "$work/bin/cnc" import --root "$work/root" busybox.tar busybox:bench >/dev/null)
(cd "$work" && $as_user $podman import -q busybox.tar localhost/busybox:bench >/dev/null)
# First runs: the rootless namespaces (cnc's and podman's pause processes), caches.
$as_user "$work/bin/cnc" run --rm --network none busybox:bench /bin/true
$as_root "$work/bin/cnc" run --root "$work/root" --rm --network none busybox:bench /bin/true
$as_user $podman run --rm --network none localhost/busybox:bench /bin/true

echo "== run --rm --network none busybox /bin/true: rootless cnc vs root-run cnc vs rootless podman ($BIN)"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/h.json" \
  "$as_user $work/bin/cnc run --rm --network none busybox:bench /bin/true" \
  "$as_root $work/bin/cnc run --root $work/root --rm --network none busybox:bench /bin/true" \
  "$as_user $podman run --rm --network none localhost/busybox:bench /bin/true"
python3 - "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
rootless, root, podman = (x["median"] * 1000 for x in r)
print(f"median rootless cnc {rootless:.1f} ms, root-run cnc {root:.1f} ms, rootless podman {podman:.1f} ms")
print(f"rootless/root = {rootless / root:.2f} (target <= 1.5); rootless cnc/podman = {rootless / podman:.2f} (target < 1)")
PY
