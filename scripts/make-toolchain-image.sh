#!/usr/bin/env bash
# Makes the toolchain image the examples' build stages use (FROM cnc-toolchain:bookworm): gcc and
# libc6-dev from Debian's own packages, never an image pulled from the internet.
#
#   usage: make-toolchain-image.sh [--from-installed] [cnc global options...]
#
# Default: a minbase Debian rootfs made by mmdebstrap (Debian's mirror, as apt reaches it), kept
# as a tar in $CNC_TOOLCHAIN_CACHE (default ~/.cache/cnc) so it is bootstrapped once per host
# (~2.5 min, ~380 MB); later runs only import it, and a root that has the image does nothing.
# --from-installed: offline, from the files of this host's installed packages (gcc, libc6-dev,
# dash and their dependency closure, `dpkg -L`), in seconds: what the tests use, since a test
# may not reach Debian's mirror.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cnc=${CNC:-$here/../.build/debug/cnc}
image=${TOOLCHAIN_IMAGE:-cnc-toolchain:bookworm}
suite=bookworm
cache=${CNC_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cnc}
mode=mmdebstrap
if [[ "${1:-}" == --from-installed ]]; then mode=installed; shift; fi

if "$cnc" image inspect "$@" --format '{{.Id}}' "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi
work=$(mktemp -d /tmp/cnc-toolchain.XXXXXX)
trap 'rm -rf "$work"' EXIT
path='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

if [[ $mode == installed ]]; then
  # The dependency closure of what a static C build needs, as installed here.
  pkgs=$(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts --no-breaks \
           --no-replaces --no-enhances gcc libc6-dev dash 2>/dev/null | grep -v '^[ <]' | sort -u)
  # Paths under the merged-/usr layout (/bin -> usr/bin ...): the real files, plus the links.
  # shellcheck disable=SC2086
  dpkg -L $pkgs 2>/dev/null | sed -E 's#^/(bin|sbin|lib|lib32|lib64|libx32)(/|$)#/usr/\1\2#' | sort -u |
    while IFS= read -r p; do if [[ -e "$p" || -L "$p" ]]; then printf "%s\n" "${p#/}"; fi; done > "$work/files"
  mkdir -p "$work/extra/tmp" "$work/extra/etc"
  chmod 1777 "$work/extra/tmp"
  for d in bin sbin lib lib64; do if [[ -L "/$d" ]]; then ln -s "usr/$d" "$work/extra/$d"; fi; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$work/extra/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/extra/etc/group"
  tar -C / --no-recursion -cf "$work/toolchain.tar" -T "$work/files"
  tar -C "$work/extra" -rf "$work/toolchain.tar" .
  tar=$work/toolchain.tar
else
  tar=$cache/toolchain-$suite.tar
  if [[ ! -s $tar ]]; then
    command -v mmdebstrap >/dev/null || { echo "make-toolchain-image.sh: mmdebstrap is not installed (apt-get install mmdebstrap), or use --from-installed" >&2; exit 1; }
    mkdir -p "$cache"
    mmdebstrap --variant=minbase --include=gcc,libc6-dev --aptopt='Apt::Install-Recommends "false"' \
      --dpkgopt='path-exclude=/usr/share/{doc,man,info,locale}/*' "$suite" "$work/toolchain.tar" >&2
    mv "$work/toolchain.tar" "$tar"
  fi
fi
"$cnc" import "$@" -c "$path" -c 'CMD ["/bin/sh"]' "$tar" "$image" >/dev/null
echo "$image"
