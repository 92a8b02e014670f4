#!/bin/bash
# Real systemd (Debian's 252) as PID 1 of private pid/mount/uts/ipc/cgroup namespaces, for the
# systemd cgroup driver's tests on hosts whose PID 1 is not systemd (CNCTestSupport's
# SystemdHarness calls it; needs root, util-linux, script(1), systemd and dbus). Boots in
# 0.6-3 s (systemd's own start; the poll below adds <= 50 ms). Usage:
#   start      boot it, wait for "running", print pid + bus addresses (~0.7-2 s)
#   exec CMD   run CMD inside all its namespaces, in the namespace-root cgroups
#   run CMD    like exec, but CMD runs in a transient scope (systemd-run --scope)
#   stop       SIGKILL its PID 1 (kills everything inside) and rmdir its cgroups;
#              SDH_STOP=poweroff: clean poweroff first (SDH_STOP_TIMEOUT, default 5 s)
#   pid        print its host pid
# Env: SDH_NAME (default cnc-sdharness; one instance per name), SDH_STATE (state dir, removed
# by stop unless SDH_KEEP_STATE is set)
set -eu
SELF=$(readlink -f "$0")
NAME=${SDH_NAME:-cnc-sdharness}
ST=${SDH_STATE:-/tmp/cnc-sdharness/$NAME}
SD=/lib/systemd/systemd
TARGET=$NAME.target

# list "mountpoint fstype superopts mountroot" of host cgroup mounts under /sys/fs/cgroup
cg_mounts() {
  awk '{ for (i=7;i<=NF;i++) if ($i=="-") break;
         if (($(i+1)=="cgroup"||$(i+1)=="cgroup2") && $5 ~ "^/sys/fs/cgroup/") print $5, $(i+1), $(i+3), $4 }' \
      /proc/self/mountinfo | sort -u -k1,1
}

# create <current cgroup>/$NAME in every mounted hierarchy; record dirs in $ST/cgdirs
make_cgroups() {
  : > "$ST/cgdirs"; : > "$ST/cgmounts"
  while read -r mp fs so root; do
    if [ "$fs" = cgroup2 ]; then key=""; else
      key=$(echo "$so" | tr , '\n' | grep -vxE 'rw|ro|xattr|clone_children|noprefix|cpuset_v2_mode|release_agent=.*|favordynmods|nsdelegate|memory_localevents|memory_recursiveprot' | head -1)
    fi
    # matching line in /proc/self/cgroup: "id:ctrl1,ctrl2:path"
    path=$(awk -F: -v k="$key" '{ n=split($2,a,","); if (k=="" && $2=="") { print $3; exit }
             for (j=1;j<=n;j++) if (a[j]==k && k!="") { print $3; exit } }' /proc/self/cgroup)
    [ -n "$path" ] || continue
    rel=${path#"${root%/}"}
    d="$mp${rel%/}/$NAME"
    mkdir -p "$d"
    if [ -f "$d/cpuset.cpus" ] && [ -z "$(cat "$d/cpuset.cpus")" ]; then
      cat "$(dirname "$d")/cpuset.cpus" > "$d/cpuset.cpus"
      cat "$(dirname "$d")/cpuset.mems" > "$d/cpuset.mems"
    fi
    echo "$d" >> "$ST/cgdirs"; echo "$mp $fs $so" >> "$ST/cgmounts"
  done < <(cg_mounts)
  [ -s "$ST/cgdirs" ] || { echo "no cgroup v1/hybrid mounts under /sys/fs/cgroup/ (pure cgroup2: untested)" >&2; exit 1; }
}

write_units() {   # $1 = unit dir (private /run/systemd/system)
  local u=$1; mkdir -p "$u" /run/systemd/journald.conf.d
  cat > "$u/$TARGET" <<EOF
[Unit]
Description=systemd test harness
Wants=dbus.socket dbus.service systemd-journald.service
After=dbus.service systemd-journald.service
EOF
  cat > "$u/dbus.socket" <<EOF
[Unit]
Description=D-Bus System Message Bus Socket (harness)
DefaultDependencies=no
[Socket]
ListenStream=/run/dbus/system_bus_socket
EOF
  cat > "$u/dbus.service" <<EOF
[Unit]
Description=D-Bus System Message Bus (harness)
DefaultDependencies=no
Requires=dbus.socket
After=dbus.socket
[Service]
Type=notify
NotifyAccess=main
ExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only
EOF
  # no /dev/log symlink on the shared /dev, no audit netlink
  ln -sf /dev/null "$u/systemd-journald-dev-log.socket"
  ln -sf /dev/null "$u/systemd-journald-audit.socket"
  # The root filesystem (and /dev, /tmp, /var) is the host's: nothing of the boot sequence
  # may run. A unit with default dependencies pulls sysinit.target, whose
  # systemd-tmpfiles-setup.service runs `systemd-tmpfiles --remove --boot`, which empties
  # the host's /tmp (seen once, from a test's unit). Masked, such a unit fails to start instead.
  for m in sysinit.target basic.target local-fs.target swap.target network-online.target \
           systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-tmpfiles-clean.timer \
           systemd-tmpfiles-clean.service systemd-sysusers.service ldconfig.service systemd-udevd.service \
           systemd-udev-trigger.service systemd-remount-fs.service systemd-random-seed.service; do
    ln -sf /dev/null "$u/$m"
  done
  printf '[Journal]\nStorage=volatile\n' > /run/systemd/journald.conf.d/harness.conf
}

case "${1:-}" in
start)
  if [ -s "$ST/pid" ] && kill -0 "$(cat "$ST/pid")" 2>/dev/null; then echo "already running: $(cat "$ST/pid")" >&2; exit 1; fi
  mkdir -p "$ST"; rm -f "$ST"/{unshare.pid,pid,console.log,released}
  t0=$(date +%s.%N)
  setsid script -qfec "exec '$SELF' _launch" "$ST/console.log" </dev/null >/dev/null 2>&1 &
  for i in $(seq 1 200); do [ -s "$ST/unshare.pid" ] && break; sleep 0.05; done
  U=$(cat "$ST/unshare.pid" 2>/dev/null || true); P=""
  for i in $(seq 1 200); do [ -n "$U" ] || break
    P=$(cat /proc/$U/task/$U/children 2>/dev/null | awk '{print $1}'); [ -n "$P" ] && break; sleep 0.05; done
  [ -n "$P" ] || { echo "launch failed; see $ST/console.log" >&2; "$SELF" stop >&2; exit 1; }
  echo "$P" > "$ST/pid"
  # move the outer unshare process out of the namespace root cgroup (it would show up as pid 0 there)
  for d in $(cat "$ST/cgdirs"); do echo "$U" > "$(dirname "$d")/cgroup.procs"; done
  touch "$ST/released"
  st=""
  for i in $(seq 1 600); do
    st=$(nsenter -t "$P" -m -p -- systemctl is-system-running 2>/dev/null || true)
    case "$st" in running|degraded) break;; esac
    kill -0 "$P" 2>/dev/null || { echo "systemd died; see $ST/console.log" >&2; "$SELF" stop >&2; exit 1; }
    sleep 0.05
  done
  t1=$(date +%s.%N)
  echo "state=$st pid=$P ready_after=$(awk "BEGIN{print $t1-$t0}")s"
  echo "inside: system bus unix:path=/run/dbus/system_bus_socket (default address; dbus-daemon)"
  echo "        systemd private unix:path=/run/systemd/private (peer-to-peer clients only, no Hello)"
  echo "host:   unix:path=/proc/$P/root/run/dbus/system_bus_socket (calls work; PIDs are namespace pids)"
  echo "enter:  $SELF exec CMD   (= nsenter -t $P -a --wd=\$PWD ...)"
  [ "$st" = running ] || [ "$st" = degraded ] || { "$SELF" stop >&2; exit 1; }
  ;;
_launch)   # runs on a pty from script(1), still in host namespaces
  make_cgroups
  for d in $(cat "$ST/cgdirs"); do echo $$ > "$d/cgroup.procs"; done
  echo $$ > "$ST/unshare.pid"
  exec unshare --fork --pid --mount --uts --ipc --cgroup --mount-proc --propagation private -- "$SELF" _ns
  ;;
_ns)       # PID 1 in the new namespaces; set up mounts, then exec systemd
  console=$(tty)
  mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs /sys/fs/cgroup
  while read -r mp fs so; do
    mkdir -p "$mp"
    if [ "$fs" = cgroup2 ]; then mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$mp"
    else mount -t cgroup -o "nosuid,nodev,noexec,$(echo "$so" | sed 's/^r[wo],//')" cgroup "$mp"; fi
  done < "$ST/cgmounts"
  mount -o remount,ro,nosuid,nodev,noexec,mode=755 /sys/fs/cgroup   # our tmpfs: systemd can't add hierarchies
  mount -o remount,bind,ro /sys                                   # bind-remount: per-mount flag only
  mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys   # no global sysctl writes
  [ -e /proc/sysrq-trigger ] && mount --bind /dev/null /proc/sysrq-trigger
  mount --bind /dev/null /dev/kmsg                                # no writes to host kernel log
  mount --bind "$console" /dev/console                            # status output -> pty -> console.log
  mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
  mkdir -p /run/lock; write_units /run/systemd/system
  for i in $(seq 1 200); do [ -e "$ST/released" ] && break; sleep 0.05; done
  exec env -i container=$NAME PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
       "$SD" --system --unit="$TARGET" --log-target=journal
  ;;
pid) cat "$ST/pid";;
exec|run)
  P=$(cat "$ST/pid"); mode=$1; shift
  [ "$mode" = run ] && set -- systemd-run --quiet --scope --collect -- "$@"
  echo $$ >> "$ST/exec.pids"      # this pid becomes nsenter; 'stop' may need to SIGCONT it
  # inside: join the namespace-root cgroups first (so /proc/self/cgroup shows "/", not "/..")
  exec nsenter -t "$P" -a --wd="$PWD" -- /bin/sh -c \
    'for f in /sys/fs/cgroup/*/cgroup.procs; do echo $$ > "$f"; done 2>/dev/null; exec "$@"' sh "$@";;
stop)   # default: SIGKILL PID 1 (fast). SDH_STOP=poweroff: clean shutdown first (SDH_STOP_TIMEOUT s, default 5)
  P=$(cat "$ST/pid" 2>/dev/null || true); t0=$(date +%s.%N)
  alive() { [ -n "$P" ] && kill -0 "$P" 2>/dev/null; }
  if alive && [ "${SDH_STOP:-kill}" = poweroff ]; then
    kill -s SIGRTMIN+4 "$P"                    # = systemctl poweroff; units are stopped cleanly
    for i in $(seq 1 $((${SDH_STOP_TIMEOUT:-5} * 20))); do alive || break; sleep 0.05; done
    alive && echo "poweroff timed out, SIGKILL" >&2
  fi
  # killing PID 1 of the pid namespace SIGKILLs every process in it (incl. nested containers)
  alive && kill -KILL "$P"
  # systemd-shutdown's SIGSTOP broadcast stops 'nsenter' parents of exec'd processes; resume them
  for n in $(cat "$ST/exec.pids" 2>/dev/null); do grep -qs "nsenter" /proc/$n/cmdline && kill -CONT "$n"; done
  for i in $(seq 1 100); do alive || break; sleep 0.05; done
  for d in $(cat "$ST/cgdirs" 2>/dev/null); do   # remove <ns root> and all cgroups systemd made below it
    for i in $(seq 1 40); do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; [ -d "$d" ] || break; sleep 0.05; done
    [ -d "$d" ] && echo "leftover cgroup: $d" >&2
  done
  rm -f "$ST/pid" "$ST/unshare.pid" "$ST/exec.pids"
  [ -n "${SDH_KEEP_STATE:-}" ] || { rm -rf "$ST"; rmdir "$(dirname "$ST")" 2>/dev/null || true; }
  echo "stopped after $(awk "BEGIN{print $(date +%s.%N)-$t0}")s"
  ;;
*) sed -n 2,9p "$SELF"; exit 2;;
esac
