#!/usr/bin/env bash
# `make demo`: what cnc sees on this host, then the httpserver example end to end: build its
# image from its Dockerfile with `cnc build`, apply the spec, wait until healthy, and show where
# to curl.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug}
export CNC_ROOT=${CNC_ROOT:-/var/lib/cnc}
port=${WEB_PORT:-18080}

echo "== cnc info"
"$bin/cnc" info
echo
echo "== the build stage's toolchain image (Debian's gcc by mmdebstrap: bootstrapped once, cached)"
CNC="$bin/cnc" scripts/make-toolchain-image.sh
echo
echo "== cnc build -t httpserver:v1 examples/httpserver (multi-stage: FROM scratch + the static binary)"
"$bin/cnc" build -t httpserver:v1 examples/httpserver
echo
echo "== cncapply -f examples/httpserver/app.yaml --wait (its build: is the image just built: all cached)"
WEB_PORT=$port "$bin/cncapply" -f examples/httpserver/app.yaml --wait
echo
echo "== curl -i http://127.0.0.1:$port/"
curl -s -i --max-time 5 -H 'X-Demo: cnc' "http://127.0.0.1:$port/"
echo
"$bin/cncapply" status -p httpserver
cat <<TXT

The app is running (state in $CNC_ROOT). Try:
  curl -i http://127.0.0.1:$port/
  VERSION=v2 WEB_PORT=$port $bin/cncapply -f examples/httpserver/app.yaml     # builds httpserver:v2 (its build:), then updates
  WEB_PORT=$port $bin/cncapply -f examples/httpserver/app.yaml --watch        # edit server.c: rebuilt and replaced on save
  $bin/cncapply history -p httpserver ; $bin/cncapply rollback -p httpserver
  $bin/cncapply logs -p httpserver
  $bin/cncapply down -p httpserver
TXT
