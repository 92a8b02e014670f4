#!/usr/bin/env bash
# Runs cnc's cgroup v2 paths on a real cgroup v2 host: a small Debian 12 VM (qemu) with systemd as
# PID 1 on the unified hierarchy and a lingering user with a systemd user session, given this
# checkout's built binaries over 9p; scripts/v2vm-guest.sh checks limits inside it (root-run with
# the cgroupfs and the systemd driver, rootless through the user's delegated subtree).
#
#   usage: scripts/v2vm.sh [BIN_DIR]        (default .build/debug; `make test-v2` runs it)
#
# V2VM_CHECKS="cgroupfs systemd rootless" (the default: all) picks the guest's check groups;
# V2VM_TIMEOUT (seconds, default 2400) bounds the VM's run.
#
# Exit 0: every guest check passed; 1: a check failed (the guest's log says which); 2: the VM
# could not run (missing tool, no way to boot), with a message saying why.
#
# Cached in $CNC_V2VM_CACHE (default ~/.cache/cnc/v2vm): a Debian rootfs tar made once by
# mmdebstrap from Debian's mirror (packages installed on the host side: the guest has no network,
# -nic none, only its loopback), and the ext4 disk image, kernel and initrd made from it.
#
# Acceleration: KVM when /dev/kvm can boot a stock kernel. A host whose /dev/kvm is PVM
# (kvm_pvm: nested "pagetable virtual machine", as in Firecracker guests) boots only PVM guest
# kernels, and Debian's is not one, so there it is TCG (emulation): minutes, not seconds.
# V2VM_ACCEL=kvm|tcg forces one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
bin=$(cd "${1:-$repo/.build/debug}" && pwd)
cache=${CNC_V2VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cnc/v2vm}
suite=bookworm
# Bump when the image's customization below changes (the tar is kept; the image is remade).
image_version=1
timeout_s=${V2VM_TIMEOUT:-2400}

die() { echo "v2vm: $*" >&2; exit 2; }
for t in qemu-system-x86_64 mmdebstrap mke2fs; do
  command -v "$t" >/dev/null || die "$t is not installed (apt-get install qemu-system-x86 mmdebstrap e2fsprogs)"
done
[[ $(id -u) == 0 ]] || die "needs root (builds the guest's disk image as root-owned files)"
for b in cnc cnc-cli cnc-init cnc-monitor; do [[ -x $bin/$b ]] || die "$bin/$b is missing: swift build first"; done

accel=${V2VM_ACCEL:-}
if [[ -z $accel ]]; then
  if [[ -d /sys/module/kvm_pvm ]]; then
    echo "v2vm: /dev/kvm here is PVM (kvm_pvm), which boots only PVM guest kernels: using TCG (slow)" >&2
    accel=tcg
  elif [[ -r /dev/kvm && -w /dev/kvm ]]; then accel=kvm
  else echo "v2vm: no usable /dev/kvm: using TCG (slow)" >&2; accel=tcg
  fi
fi

mkdir -p "$cache"
tar=$cache/rootfs-$suite.tar
pkgs=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,linux-image-amd64,initramfs-tools,kmod,procps
pkgs+=,util-linux,uidmap,passt,iproute2,nftables,busybox-static,e2fsprogs
if [[ ! -s $tar ]]; then
  echo "v2vm: bootstrapping a Debian $suite rootfs into $tar (once per host, a few minutes)" >&2
  mmdebstrap --variant=minbase --include="$pkgs" --aptopt='Apt::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/{doc,man,info,locale}/*' "$suite" "$tar.tmp" >&2
  mv "$tar.tmp" "$tar"
fi

img=$cache/disk-v$image_version.img
if [[ ! -s $img || $img -ot $tar ]]; then
  echo "v2vm: making the guest disk image $img" >&2
  root=$(mktemp -d "$cache/root.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  tar -C "$root" -xf "$tar"
  echo v2vm > "$root/etc/hostname"
  printf '/dev/vda / ext4 rw,relatime 0 1\n' > "$root/etc/fstab"
  printf 'cnc /opt/cnc 9p trans=virtio,version=9p2000.L,ro,msize=262144 0 0\n' >> "$root/etc/fstab"
  printf 'out /opt/out 9p trans=virtio,version=9p2000.L,rw 0 0\n' >> "$root/etc/fstab"
  mkdir -p "$root/opt/cnc" "$root/opt/out"
  printf '9p\n9pnet_virtio\noverlay\n' > "$root/etc/modules-load.d/v2vm.conf"
  # The throwaway user: a subordinate id range, lingering so user@1000.service (its systemd
  # manager, with Debian's Delegate= for user@.service) starts at boot without a login.
  chroot "$root" useradd -m -u 1000 -s /bin/sh alice
  echo 'alice:100000:65536' > "$root/etc/subuid"; echo 'alice:100000:65536' > "$root/etc/subgid"
  mkdir -p "$root/var/lib/systemd/linger"; touch "$root/var/lib/systemd/linger/alice"
  # Boot straight into the checks, then power off; nothing else that costs time under TCG.
  cat > "$root/etc/systemd/system/v2vm-check.service" <<'EOF'
[Unit]
Description=cnc cgroup v2 checks
After=multi-user.target user@1000.service opt-cnc.mount opt-out.mount
Requires=opt-cnc.mount opt-out.mount
Wants=user@1000.service

[Service]
Type=oneshot
ExecStart=/bin/bash /opt/cnc/v2vm-guest.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=infinity
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Install]
WantedBy=multi-user.target
EOF
  chroot "$root" systemctl enable v2vm-check.service >/dev/null 2>&1
  chroot "$root" systemctl set-default multi-user.target >/dev/null 2>&1
  chroot "$root" systemctl mask getty@tty1.service serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
    e2scrub_all.timer fstrim.timer systemd-timesyncd.service >/dev/null 2>&1 || true
  cp "$root"/boot/vmlinuz-* "$cache/vmlinuz.tmp"; cp "$root"/boot/initrd.img-* "$cache/initrd.tmp"
  rm -f "$img.tmp"
  mke2fs -q -t ext4 -d "$root" -L v2vm "$img.tmp" 3G
  mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"; mv "$cache/initrd.tmp" "$cache/initrd.img"; mv "$img.tmp" "$img"
  rm -rf "$root"; trap - EXIT
fi

# What the guest gets at /opt/cnc: the binaries, the libraries they load except glibc's (the host
# is Debian 12 too; the guest's own packages lack libyaml, libarchive, ...), the Swift runtime's
# directory (the binaries' RUNPATH, made a link to lib/ in the guest) and the check script.
stage=$(mktemp -d /tmp/cnc-v2vm.XXXXXX)
qpid=
cleanup() {
  if [[ -n $qpid ]]; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
  rm -rf "$stage"
}
trap cleanup EXIT
mkdir -p "$stage/cnc/bin" "$stage/cnc/lib" "$stage/out"
glibc=" $(dpkg -L libc6 | tr '\n' ' ') "
for f in "$bin"/*; do
  n=${f##*/}
  [[ -f $f && -x $f && $n != *.* ]] || continue
  cp "$f" "$stage/cnc/bin/"
  # (a static one has none: ldd fails)
  { ldd "$f" 2>/dev/null || true; } | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
    [[ $glibc == *" $lib "* || $glibc == *" /usr$lib "* || -e $stage/cnc/lib/${lib##*/} ]] || cp "$lib" "$stage/cnc/lib/"
  done
done
readelf -d "$bin/cnc-cli" | sed -n 's/.*RUNPATH.*\[\(.*\)\]/\1/p' | tr ':' '\n' | grep '^/' > "$stage/cnc/runpath" || true
echo "${V2VM_CHECKS:-cgroupfs systemd rootless}" > "$stage/cnc/checks"
cp "$here/v2vm-guest.sh" "$here/make-busybox-rootfs.sh" "$stage/cnc/"
chmod -R a+rX "$stage/cnc"; chmod 0777 "$stage/out"

snap=$stage/disk.qcow2
qemu-img create -q -f qcow2 -F raw -b "$img" "$snap" 2>/dev/null || cp --reflink=auto "$img" "$snap"
fmt=qcow2; [[ -n $(qemu-img info "$snap" 2>/dev/null | grep qcow2) ]] || fmt=raw
cpu=(-cpu max); [[ $accel == kvm ]] && cpu=(-cpu host)
echo "v2vm: booting ($accel); the guest's console follows" >&2
start=$(date +%s)
timeout "$timeout_s" qemu-system-x86_64 -accel "$accel" "${cpu[@]}" -smp 2 -m 1536 -nographic -no-reboot -nic none \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 quiet systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 panic=-1" \
  -drive "file=$snap,format=$fmt,if=virtio" \
  -virtfs "local,path=$stage/cnc,mount_tag=cnc,security_model=none,readonly=on" \
  -virtfs "local,path=$stage/out,mount_tag=out,security_model=none" \
  </dev/null &
qpid=$!
rc=0
wait "$qpid" || rc=$?
qpid=
echo "v2vm: the VM ran $(( $(date +%s) - start )) s" >&2
if [[ ! -f $stage/out/result ]]; then
  echo "v2vm: the guest wrote no result (qemu status $rc; timeout ${timeout_s}s)" >&2
  exit 1
fi
cat "$stage/out/log" 2>/dev/null | sed -n '/^FAIL/p' >&2 || true
result=$(cat "$stage/out/result")
echo "v2vm: $result" >&2
[[ $result == PASS* ]]
