#!/usr/bin/env bash
# Validates what `cncapply export` writes for every example and every spec of specs/export/:
# Kubernetes objects with kubernetes-validate --strict against two Kubernetes versions, the
# `-o DIR` layout with Debian's `kubectl kustomize` (kubectl 1.20, unpacked by install-deps), and
# the compose and swarm files against the Compose JSON Schema (and `docker stack config` when a
# docker CLI is there). Needs `make deps` (.venv, .tools) and a built cncapply.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=$PWD/.build/debug/cncapply
validate=$PWD/.venv/bin/kubernetes-validate
kubectl=$PWD/.tools/kubernetes-client/usr/bin/kubectl
for tool in "$bin" "$validate" "$kubectl"; do
  [[ -x $tool ]] || { echo "export-validate: $tool is missing (make deps; swift build)" >&2; exit 1; }
done
versions=(1.29.0 1.37.0)

# Under .build (git-ignored), not /tmp: a shared machine's /tmp may be swept while this runs.
mkdir -p .build
work=$(mktemp -d "$PWD/.build/export-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
standin="$work/standin.tar"
python3 -c "import tarfile,sys; t=tarfile.open(sys.argv[1],'w'); t.add('/bin/busybox', arcname='bin/busybox'); t.close()" "$standin"
specs=(examples/*/app.yaml specs/export/*.yaml)
for spec in "${specs[@]}"; do
  dir=$(dirname "$spec"); file=$(basename "$spec")
  id=$(echo "${spec%.yaml}" | tr '/' '-')
  # A fresh state root: images are kept as written (the goldens pin through a fake store), but
  # the images of build: services must be there: a stand-in imported under each one's name, and
  # --no-build (the examples' builds need images made by scripts/make-toolchain-image.sh).
  root="$work/root-$id"
  built=$(cd "$dir" && "$bin" config -f "$file" -o json 2>/dev/null | python3 -c '
import json, sys
app = json.load(sys.stdin)
for name, s in sorted(app.get("services", {}).items()):
    if "build" in s: print(s.get("image") or (app["name"] + "-" + name).lower())
')
  for ref in $built; do
    "$PWD/.build/debug/cnc" import --root "$root" "$standin" "$ref" >/dev/null
  done
  k8s="$work/$id-k8s"
  if ! (cd "$dir" && "$bin" --root "$root" export -f "$file" --to kubernetes --no-build -o "$k8s" 2>/dev/null); then
    echo "export-validate: $spec: export --to kubernetes failed" >&2; fail=1; continue
  fi
  objects=("$k8s"/*.yaml)
  objects=("${objects[@]/$k8s\/kustomization.yaml/}")
  for v in "${versions[@]}"; do
    if ! out=$("$validate" --strict --quiet -k "$v" ${objects[@]} 2>&1); then
      echo "export-validate: $spec: kubernetes-validate --strict -k $v:" >&2; echo "$out" >&2; fail=1
    fi
  done
  if ! rendered=$("$kubectl" kustomize "$k8s" 2>&1); then
    echo "export-validate: $spec: kubectl kustomize: $rendered" >&2; fail=1
  else
    want=$(ls "$k8s" | grep -vc '^kustomization.yaml$')
    got=$(grep -c '^kind: ' <<<"$rendered")
    [[ $want == "$got" ]] || { echo "export-validate: $spec: kustomize rendered $got objects, want $want" >&2; fail=1; }
  fi
  for t in compose swarm; do
    out="$work/$id-$t"
    if ! (cd "$dir" && "$bin" --root "$root" export -f "$file" --to $t --no-build -o "$out" 2>/dev/null); then
      echo "export-validate: $spec: export --to $t failed" >&2; fail=1; continue
    fi
    f=$(ls "$out"/*.yaml)
    if ! python3 - "$f" <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open("specs/compose-spec.schema.json"))
doc = yaml.safe_load(open(sys.argv[1]))
errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
for e in errors:
    print(f"  {'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
    then echo "export-validate: $spec: --to $t is not valid against the Compose schema" >&2; fail=1; fi
    if [[ $t == swarm ]] && command -v docker >/dev/null; then
      if ! msg=$(docker stack config -c "$f" 2>&1 >/dev/null); then
        echo "export-validate: $spec: docker stack config: $msg" >&2; fail=1
      fi
    fi
  done
done
[[ $fail == 0 ]] && echo "export-validate: ${#specs[@]} specs: kubernetes (${versions[*]}, kustomize), compose and swarm exports valid"
exit $fail
