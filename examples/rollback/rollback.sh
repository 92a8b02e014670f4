#!/usr/bin/env bash
# The rollback story on the httpserver example: deploy v1, then v2, then a broken v3 whose
# health check fails (cnc rolls it back by itself), then a manual rollback to v1.
#   usage: rollback.sh [PORT]   (state under $CNC_ROOT, default a fresh temp dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
bin=${BIN:-$top/.build/debug}
export CNC_ROOT=${CNC_ROOT:-$(mktemp -d /tmp/cnc-rollback-example.XXXXXX)}
export WEB_PORT=${1:-18090}
spec=$here/app.yaml
step() { printf '\n== %s\n' "$*"; }
show() { curl -s --max-time 3 -D - -o /dev/null "http://127.0.0.1:$WEB_PORT/" | tr -d '\r' | grep -i '^version:' || echo "(no answer)"; }

for v in v1 v2; do CNC=$bin/cnc "$top/examples/httpserver/build-image.sh" "$v" >/dev/null; done
CNC=$bin/cnc BROKEN=1 "$top/examples/httpserver/build-image.sh" v3 >/dev/null

step "deploy v1";  VERSION=v1 "$bin/cncapply" -f "$spec" --wait; show
step "deploy v2";  VERSION=v2 "$bin/cncapply" -f "$spec" --wait; show
step "deploy v3 (its /healthz fails: the update rolls back by itself)"
if VERSION=v3 "$bin/cncapply" -f "$spec"; then echo "unexpected: v3 was accepted"; exit 1; fi
show
step "manual rollback to revision 1 (v1)"; "$bin/cncapply" rollback -p rollback-demo --to 1; show
step "history"; "$bin/cncapply" history -p rollback-demo
step "clean up"; "$bin/cncapply" down -p rollback-demo -t 1
