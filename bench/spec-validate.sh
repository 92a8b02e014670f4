#!/usr/bin/env bash
# The spec compiler against Debian's docker-compose, side by side in one run:
#   1. `cncapply validate` vs `docker-compose config -q` on the same 20-service spec (target >= 20x)
#   2. `cncapply validate` on a 1,000-service spec (target < 100 ms)
#   3. max RSS at 20 / 1,000 / 5,000 services (memory should grow with the input, nothing more)
# Needs a release build (`swift build -c release`), hyperfine and docker-compose.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CNCAPPLY:-$PWD/.build/release/cncapply}
[ -x "$bin" ] || { echo "build first: swift build -c release" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is missing (scripts/install-deps.sh)" >&2; exit 1; }
command -v docker-compose >/dev/null || { echo "docker-compose is missing (scripts/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/cnc-bench-spec.XXXXXX)
trap 'rm -rf "$work"' EXIT
for n in 20 1000 5000; do python3 bench/gen-spec.py "$n" > "$work/s$n.yaml"; done
cd "$work"
echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (wall times stretch under load; CPU times do not)"
"$bin" validate -f s20.yaml
docker-compose -p bench -f s20.yaml config -q

echo "== 20 services: cncapply validate vs docker-compose config -q"
hyperfine -N --warmup 3 --runs 30 --export-json 20.json \
  "$bin validate -f s20.yaml" \
  "docker-compose -p bench -f s20.yaml config -q"
python3 - <<'PY'
import json
r = json.load(open("20.json"))["results"]
cnc, dc = r[0]["median"], r[1]["median"]
print(f"ratio (median wall): docker-compose {dc*1000:.1f} ms / cncapply {cnc*1000:.2f} ms = {dc/cnc:.0f}x faster (target >= 20x)")
cc, dcc = r[0]["user"] + r[0]["system"], r[1]["user"] + r[1]["system"]
print(f"ratio (mean CPU user+sys): docker-compose {dcc*1000:.1f} ms / cncapply {cc*1000:.2f} ms = {dcc/cc:.0f}x")
PY

echo "== 1,000 services: cncapply validate"
hyperfine -N --warmup 3 --runs 20 --export-json 1000.json "$bin validate -f s1000.yaml"
python3 -c "import json; r=json.load(open('1000.json'))['results'][0]; print(f'median wall {r[\"median\"]*1000:.1f} ms, min {r[\"min\"]*1000:.1f} ms, mean CPU {(r[\"user\"]+r[\"system\"])*1000:.1f} ms (target < 100 ms)')"

echo "== max RSS (/usr/bin/time -v)"
for n in 20 1000 5000; do
  size=$(stat -c %s "s$n.yaml")
  rss=$(/usr/bin/time -v "$bin" validate -f "s$n.yaml" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')
  echo "$n services ($((size / 1024)) KiB of YAML): max RSS ${rss} KiB"
done
rss=$(/usr/bin/time -v docker-compose -p bench -f s20.yaml config -q 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')
echo "docker-compose, 20 services: max RSS ${rss} KiB"
