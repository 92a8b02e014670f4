#!/usr/bin/env bash
# `make demo`: shows what cnc sees on this host, then runs the bundled example.
set -euo pipefail
bin=${1:-.build/debug}
root=$(mktemp -d /tmp/cnc-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT

echo "== cnc info"
"$bin/cnc" --help >/dev/null
"$bin/cnc" info --root "$root"
echo
echo "== cnc version"
"$bin/cnc" version
echo
echo "== smoke run: cnc-init (static, Glibc-only) as a first process"
"$bin/cnc-init" /bin/echo "hello from cnc-init"
