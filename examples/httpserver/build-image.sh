#!/usr/bin/env bash
# The quick path to the httpserver image, without a toolchain image: the host's gcc builds the
# static binary and `cnc import` makes what the Dockerfile's final stage gives (`cnc build -t
# httpserver:v1 examples/httpserver` is the way the course teaches; make demo uses it). The
# rollback example and the example tests use this script for speed.
#   usage: [BROKEN=1] build-image.sh [VERSION] [cnc global options...]
# BROKEN=1 bakes in a /healthz that fails (the rollback example's bad release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=${1:-v1}; shift || true
cnc=${CNC:-$here/../../.build/debug/cnc}
work=$(mktemp -d /tmp/cnc-httpserver-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/etc"
gcc -static -O2 -Wall -o "$work/rootfs/httpserver" "$here/server.c"
printf 'nobody:x:65534:65534:nobody:/:/httpserver\n' > "$work/rootfs/etc/passwd"
printf 'nogroup:x:65534:\n' > "$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
extra=()
if [ -n "${BROKEN:-}" ]; then extra=(-c 'ENV BROKEN=1'); fi
"$cnc" import "$@" "${extra[@]}" \
  -c 'ENTRYPOINT ["/httpserver"]' -c "ENV VERSION=$version" -c 'ENV MY_SERVICE_PORT=8080' \
  -c 'EXPOSE 8080' -c 'USER nobody' -c "LABEL org.opencontainers.image.version=$version" \
  "$work/rootfs.tar" "httpserver:$version" >/dev/null
echo "httpserver:$version"
