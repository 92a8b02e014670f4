#!/usr/bin/env bash
# Builds a minimal busybox root filesystem in $1 (tests and benchmarks use it until images land).
set -euo pipefail
dest=${1:?usage: make-busybox-rootfs.sh DIR}
mkdir -p "$dest"/{bin,etc,tmp,root,proc,sys,dev}
cp /usr/bin/busybox "$dest/bin/busybox"
for applet in $("$dest/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dest/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n' > "$dest/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\nuser:x:1000:\nextra:x:2000:user\n' > "$dest/etc/group"
chmod 1777 "$dest/tmp"
