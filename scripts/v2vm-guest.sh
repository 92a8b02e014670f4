#!/usr/bin/env bash
# Runs inside scripts/v2vm.sh's VM as root (a systemd unit at boot): cnc's limits on a real
# cgroup v2 host. Binaries in /opt/cnc/bin (Swift runtime and libraries in /opt/cnc/lib, over 9p), log and result in
# /opt/out. Every check prints "ok: ..." or "FAIL: ..."; the result line counts them.
set -uo pipefail
out=/opt/out
exec > >(tee -a "$out/log") 2>&1
export PATH=/usr/local/cnc/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Binaries and libraries copied to the guest's disk (9p reads every exec anew: slow under TCG).
# The libraries: /usr/local/cnc/lib for the loader, and the binaries' RUNPATH (the host's Swift
# runtime directory) a link to it, so every process cnc starts finds them whatever its environment.
mkdir -p /usr/local/cnc && cp -r /opt/cnc/bin /opt/cnc/lib /usr/local/cnc/
echo /usr/local/cnc/lib > /etc/ld.so.conf.d/cnc.conf && ldconfig
while read -r d; do mkdir -p "$(dirname "$d")" && ln -sfn /usr/local/cnc/lib "$d"; done < /opt/cnc/runpath
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# expect NAME WANT GOT
expect() { if [[ "$3" == "$2" ]]; then ok "$1 = $2"; else fail "$1: want '$2', got '$3'"; fi; }
finish() {
  echo "checks: $passed passed, $failed failed"
  if ((failed == 0 && passed > 0)); then echo "PASS $passed checks" > "$out/result"
  else echo "FAIL $failed of $((passed + failed)) checks" > "$out/result"; fi
  sync
  # Nothing to stop cleanly (the disk is a throwaway overlay; 9p writes are not cached): off now.
  systemctl poweroff -ff
}
trap finish EXIT

echo "== guest: $(uname -r), $(systemctl --version | head -1)"
expect "cgroup file system" cgroup2fs "$(stat -fc %T /sys/fs/cgroup)"
echo "user@.service Delegate: $(systemctl show -p Delegate -p DelegateControllers user@1000.service | tr '\n' ' ')"
echo "user@1000.service controllers: $(cat /sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers 2>&1)"

rootfs=$(mktemp -d)
bash /opt/cnc/make-busybox-rootfs.sh "$rootfs"
tar -C "$rootfs" -cf /tmp/busybox.tar .
chmod 0644 /tmp/busybox.tar

# cgroup of a running container, from its pid (root's view: the full path).
cg_of() { echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"; }

# Root-run checks with driver $1.
root_checks() {
  local d=$1 c pid cg
  echo "== root-run cnc, --cgroup-manager $d"
  cnc import /tmp/busybox.tar busybox >/dev/null || { fail "$d: import"; return; }
  c=lim-$d
  if ! cnc --cgroup-manager "$d" run -d --name "$c" --network none --memory 64m --pids-limit 20 --cpus 0.5 busybox sleep 1000; then
    fail "$d: run -d with limits"; return
  fi
  pid=$(cnc inspect -f '{{.State.Pid}}' "$c")
  cg=$(cg_of "$pid")
  echo "$d: container cgroup $cg"
  expect "$d memory.max" 67108864 "$(cat "$cg/memory.max")"
  expect "$d pids.max" 20 "$(cat "$cg/pids.max")"
  expect "$d cpu.max" "50000 100000" "$(cat "$cg/cpu.max")"
  if [[ $d == systemd ]]; then
    case $cg in */cnc-*.scope) ok "systemd: a scope ($cg)";; *) fail "systemd: not a cnc scope: $cg";; esac
  fi
  if cnc --cgroup-manager "$d" update --memory 128m --pids-limit 30 --cpus 1.5 "$c"; then
    expect "$d update memory.max" 134217728 "$(cat "$cg/memory.max")"
    expect "$d update pids.max" 30 "$(cat "$cg/pids.max")"
    expect "$d update cpu.max" "150000 100000" "$(cat "$cg/cpu.max")"
  else fail "$d: update"; fi
  cnc rm -f "$c" >/dev/null || fail "$d: rm -f"
  [[ ! -d $cg ]] && ok "$d: cgroup removed with the container" || fail "$d: $cg left behind"
  # OOM: a 16 MB container that fills memory.
  cnc --cgroup-manager "$d" run --name "oom-$d" --network none --memory 16m --memory-swap 16m busybox \
    sh -c 'tail /dev/zero'
  expect "$d oom exit code" 137 "$?"
  expect "$d OOMKilled" true "$(cnc inspect -f '{{.State.OOMKilled}}' "oom-$d")"
  cnc rm -f "oom-$d" >/dev/null
}
checks=$(cat /opt/cnc/checks 2>/dev/null || echo "cgroupfs systemd rootless")
echo "checks: $checks"
for d in cgroupfs systemd; do [[ " $checks " == *" $d "* ]] && root_checks $d; done
[[ " $checks " == *" rootless "* ]] || exit 0

# Rootless: alice's commands run in a scope of her own systemd manager (systemd-run --user
# --scope), so they live in her delegated subtree, as a login session's do. A scope, not a
# service: a service's leftover processes are killed when it ends, and `run -d`'s monitor is
# one (a container started from a service unit loses its monitor so: see README).
echo "== rootless cnc as alice (uid 1000)"
for i in $(seq 1 60); do [[ -S /run/user/1000/bus ]] && break; sleep 1; done
[[ -S /run/user/1000/bus ]] && ok "alice's user bus is up" || fail "no /run/user/1000/bus"
as_alice() {
  runuser -u alice -- env XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus \
    PATH="$PATH" systemd-run --user --scope --quiet --collect -- "$@"
}
info=$(as_alice cnc info 2>&1); echo "$info"
grep -q "Limits:.*through the user's systemd manager" <<<"$info" && ok "rootless info: limits through the user's manager" \
  || fail "rootless info does not say limits go through the user's manager"
as_alice cnc import /tmp/busybox.tar busybox >/dev/null || fail "rootless import"
if as_alice cnc run -d --name rl --network none --memory 64m --pids-limit 20 busybox sleep 1000; then
  pid=$(as_alice cnc inspect -f '{{.State.Pid}}' rl)
  cg=$(cg_of "$pid")
  echo "rootless: container cgroup $cg"
  case $cg in /sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/*cnc-*.scope) ok "rootless: a scope of alice's manager";;
    *) fail "rootless: not in alice's manager: $cg";; esac
  expect "rootless memory.max" 67108864 "$(cat "$cg/memory.max")"
  expect "rootless pids.max" 20 "$(cat "$cg/pids.max")"
  if as_alice cnc update --memory 96m --pids-limit 25 rl; then
    expect "rootless update memory.max" 100663296 "$(cat "$cg/memory.max")"
    expect "rootless update pids.max" 25 "$(cat "$cg/pids.max")"
  else fail "rootless update"; fi
  as_alice cnc rm -f rl >/dev/null || fail "rootless rm -f"
  [[ ! -d $cg ]] && ok "rootless: scope removed" || fail "rootless: $cg left behind"
else
  fail "rootless run -d with limits"
fi
if grep -qw cpu /sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers; then
  if as_alice cnc run -d --name rlcpu --network none --cpus 0.5 busybox sleep 1000; then
    pid=$(as_alice cnc inspect -f '{{.State.Pid}}' rlcpu); cg=$(cg_of "$pid")
    expect "rootless cpu.max" "50000 100000" "$(cat "$cg/cpu.max")"
    as_alice cnc rm -f rlcpu >/dev/null
  else fail "rootless --cpus with cpu delegated"; fi
fi
err=$(as_alice cnc run --rm --network none --cpuset-cpus 0 busybox true 2>&1)
rc=$?
echo "cpuset refusal: $err"
[[ $rc != 0 ]] && grep -q "cannot enforce --cpuset-cpus: the cpuset controller is not delegated to uid 1000" <<<"$err" \
  && ok "rootless: --cpuset-cpus refused by name" || fail "rootless --cpuset-cpus: rc $rc, '$err'"
as_alice cnc ps -a --format '{{.Names}}' | grep -q . && fail "rootless: containers left: $(as_alice cnc ps -a --format '{{.Names}}')"
