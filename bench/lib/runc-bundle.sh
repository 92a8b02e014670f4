# Sourced by bench scripts: runc_bundle WORK makes WORK/rootfs (busybox) and WORK/bundle, a
# runc bundle that runs /bin/true on that rootfs read-only, without a terminal.
runc_bundle() {
  local w=$1
  scripts/make-busybox-rootfs.sh "$w/rootfs" >/dev/null
  mkdir -p "$w/bundle"
  (cd "$w/bundle" && runc spec)
  python3 - "$w" <<'PY'
import json, sys
w = sys.argv[1]
c = json.load(open(f"{w}/bundle/config.json"))
c["root"] = {"path": f"{w}/rootfs", "readonly": True}
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
json.dump(c, open(f"{w}/bundle/config.json", "w"), indent=1)
PY
}
