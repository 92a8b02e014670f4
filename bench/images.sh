#!/usr/bin/env bash
# Image benchmarks, side by side in one run (build release first: `swift build -c release`):
#   - pull and push of a ~200 MB (uncompressed) one-layer image to a local docker-registry: cnc vs skopeo
#   - pull-and-unpack (cnc pull: download, verify, unpack) vs `umoci unpack` (unpack only, from an OCI dir)
#     and vs `tar -xzf` of the same gzip layer
# Prints a markdown summary; raw hyperfine JSON goes to bench/results/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
CNC=${CNC:-$PWD/.build/release/cnc}
RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-200}
[ -x "$CNC" ] || { echo "build first: swift build -c release" >&2; exit 1; }
W=$(mktemp -d /tmp/cnc-bench-images.XXXXXX)
cleanup() {
  # Registries were started in $(...) subshells: their pids are in files, not in a variable.
  for f in "$W"/*/pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
mkdir -p bench/results

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
start_registry() { # $1 name -> prints host:port
  local port; port=$(free_port)
  mkdir -p "$W/$1"
  cat > "$W/$1/config.yml" <<EOC
version: 0.1
storage: { filesystem: { rootdirectory: $W/$1/data }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
log: { level: error }
EOC
  docker-registry serve "$W/$1/config.yml" >/dev/null 2>&1 &
  echo $! > "$W/$1/pid"
  for _ in $(seq 100); do python3 -c "import socket;socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break; sleep 0.05; done
  echo "127.0.0.1:$port"
}

echo "== building a ${SIZE_MB} MB rootfs layer from /usr" >&2
python3 - "$W" "$SIZE_MB" <<'EOPY'
import gzip, hashlib, io, json, os, sys, tarfile, shutil
w, limit = sys.argv[1], int(sys.argv[2]) << 20
total = 0
with tarfile.open(w + "/layer.tar", "w") as tf:
    for top in ["/usr/lib/x86_64-linux-gnu", "/usr/share"]:
        for d, dirs, files in os.walk(top):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(d, f)
                if not os.path.isfile(p) or os.path.islink(p): continue
                s = os.path.getsize(p)
                if total + s > limit: continue
                tf.add(p, arcname=p.lstrip("/"), recursive=False)
                total += s
            if total >= limit * 0.995: break
        if total >= limit * 0.995: break
EOPY
gzip -6 -c "$W/layer.tar" > "$W/layer.tar.gz"
python3 - "$W" <<'EOPY'
import hashlib, json, os, sys, shutil
w = sys.argv[1]; root = w + "/oci"
os.makedirs(root + "/blobs/sha256")
def put(b=None, path=None):
    h = hashlib.sha256()
    if path:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""): h.update(chunk)
        shutil.copy(path, root + "/blobs/sha256/" + h.hexdigest()); n = os.path.getsize(path)
    else:
        h.update(b); open(root + "/blobs/sha256/" + h.hexdigest(), "wb").write(b); n = len(b)
    return "sha256:" + h.hexdigest(), n
diff = "sha256:" + hashlib.sha256(open(w + "/layer.tar", "rb").read()).hexdigest()
ld, ln = put(path=w + "/layer.tar.gz")
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]}, "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
cd, cn = put(cfg)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ln}]}).encode()
md, mn = put(m)
open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(root + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": "src"}}]}))
EOPY
TAR_MB=$(( $(stat -c %s "$W/layer.tar") / 1000000 ))
GZ_MB=$(( $(stat -c %s "$W/layer.tar.gz") / 1000000 ))
echo "   layer: ${TAR_MB} MB uncompressed, ${GZ_MB} MB gzip" >&2

R1=$(start_registry reg1)
R2=$(start_registry reg2)
skopeo copy -q --dest-tls-verify=false "oci:$W/oci:src" "docker://$R1/bench/src:1"
"$CNC" pull -q --root "$W/rootA" "$R1/bench/src:1" >/dev/null
"$CNC" tag --root "$W/rootA" "$R1/bench/src:1" "$R2/bench/push:1"

HF=(hyperfine --style basic --runs "$RUNS" --warmup 1)
echo "== pull (+ unpack for cnc)" >&2
"${HF[@]}" --export-json bench/results/images-pull.json \
  --prepare "rm -rf $W/rootB $W/skopeo-pull $W/skopeo-bundle" \
  -n "cnc pull (download+verify+unpack)" "$CNC pull -q --root $W/rootB $R1/bench/src:1" \
  -n "cnc pull --no-unpack (download+verify)" "$CNC pull -q --no-unpack --root $W/rootB $R1/bench/src:1" \
  -n "skopeo copy docker->oci (download only)" "skopeo copy -q --src-tls-verify=false docker://$R1/bench/src:1 oci:$W/skopeo-pull:src" \
  -n "skopeo copy + umoci unpack" "skopeo copy -q --src-tls-verify=false docker://$R1/bench/src:1 oci:$W/skopeo-pull:src && umoci unpack --image $W/skopeo-pull:src $W/skopeo-bundle" >&2
echo "== push" >&2
"${HF[@]}" --export-json bench/results/images-push.json \
  --prepare "rm -rf $W/reg2/data" \
  -n "cnc push" "$CNC push -q --root $W/rootA $R2/bench/push:1" \
  -n "skopeo copy oci->docker" "skopeo copy -q --dest-tls-verify=false oci:$W/oci:src docker://$R2/bench/push:1" >&2
echo "== unpack" >&2
"${HF[@]}" --export-json bench/results/images-unpack.json \
  --prepare "rm -rf $W/bundle $W/tarx && mkdir -p $W/tarx" \
  -n "umoci unpack" "umoci unpack --image $W/oci:src $W/bundle" \
  -n "tar -xzf" "tar -xzf $W/layer.tar.gz -C $W/tarx" >&2

python3 - "$TAR_MB" "$GZ_MB" <<'EOPY'
import json, sys
tar_mb, gz_mb = int(sys.argv[1]), int(sys.argv[2])
def load(n):
    return {r["command"]: r for r in json.load(open(f"bench/results/images-{n}.json"))["results"]}
pull, push, unpack = load("pull"), load("push"), load("unpack")
def med(r): return r["median"]
cnc_pull = med(pull["cnc pull (download+verify+unpack)"]); sk_pull = med(pull["skopeo copy docker->oci (download only)"])
cnc_dl = med(pull["cnc pull --no-unpack (download+verify)"]); sk_umoci = med(pull["skopeo copy + umoci unpack"])
cnc_push = med(push["cnc push"]); sk_push = med(push["skopeo copy oci->docker"])
umoci = med(unpack["umoci unpack"]); tarx = med(unpack["tar -xzf"])
def row(name, t, mb): return f"| {name} | {t*1000:.0f} ms | {mb/t:.0f} MB/s |"
print(f"Layer: {tar_mb} MB uncompressed, {gz_mb} MB gzip; throughput below is uncompressed MB per second (median of runs).\n")
print("| command | median | throughput |\n|---|---|---|")
for n, t in [("cnc pull (download + verify + unpack)", cnc_pull), ("cnc pull --no-unpack (download + verify)", cnc_dl),
             ("skopeo copy docker:// -> oci: (download only)", sk_pull), ("skopeo copy + umoci unpack", sk_umoci),
             ("cnc push", cnc_push), ("skopeo copy oci: -> docker://", sk_push),
             ("umoci unpack (unpack only)", umoci), ("tar -xzf (unpack only)", tarx)]:
    print(row(n, t, tar_mb))
print()
print(f"| target | ratio | goal |\n|---|---|---|")
print(f"| pull, download only: skopeo copy time / cnc pull --no-unpack time | {sk_pull/cnc_dl:.2f} | >= 1 |")
print(f"| pull incl. unpack: (skopeo copy + umoci unpack) time / cnc pull time | {sk_umoci/cnc_pull:.2f} | >= 1 |")
print(f"| pull incl. unpack vs skopeo download only: skopeo copy time / cnc pull time | {sk_pull/cnc_pull:.2f} | (for reference) |")
print(f"| push: skopeo time / cnc time | {sk_push/cnc_push:.2f} | >= 1 |")
print(f"| pull-and-unpack vs umoci unpack: umoci time / cnc pull time | {umoci/cnc_pull:.2f} | >= 2 |")
print(f"| pull-and-unpack vs tar -xzf: cnc pull time / tar time | {cnc_pull/tarx:.2f} | <= 1.5 |")
EOPY
