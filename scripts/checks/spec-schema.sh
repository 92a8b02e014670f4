#!/usr/bin/env bash
# Validates every example spec (examples/**/*.yaml) and every valid spec case (specs/valid/*.yaml)
# against specs/cnc-spec.schema.json with a real JSON Schema validator (python3 jsonschema), and
# checks that `cncapply config -o json` of each is itself valid against the schema.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The committed schema is what the generator makes from the Compose schema and CNCSpec's keys
# (a hand edit, or a key added to the reader without regenerating, fails here).
fresh=$(mktemp /tmp/cnc-schema.XXXXXX)
trap 'rm -f "$fresh"' EXIT
CNC_SCHEMA_OUT=$fresh python3 scripts/gen-spec-schema.py >/dev/null
if ! diff -u specs/cnc-spec.schema.json "$fresh" >&2; then
  echo "spec-schema: specs/cnc-spec.schema.json is stale: run scripts/gen-spec-schema.py" >&2
  exit 1
fi

bin=""
if [ -x .build/debug/cncapply ]; then bin=.build/debug/cncapply; fi

python3 - "$bin" <<'PY'
import glob, json, os, subprocess, sys
import jsonschema, yaml

bin_path = sys.argv[1]
schema = json.load(open("specs/cnc-spec.schema.json"))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)

files = sorted(glob.glob("examples/**/*.yaml", recursive=True)) + sorted(glob.glob("specs/valid/*.yaml"))
if not glob.glob("examples/**/*.yaml", recursive=True):
    sys.exit("spec-schema: no examples/**/*.yaml found")
bad = 0
for f in files:
    with open(f, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        print(f"spec-schema: {f}: {'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}", file=sys.stderr)
    bad += bool(errors)
    if bin_path and not errors:
        d = os.path.dirname(f) or "."
        env = {"PATH": os.environ.get("PATH", ""), "HOME": "/home/user", "FROM_HOST": "x"}
        r = subprocess.run([os.path.abspath(bin_path), "config", "-o", "json", "-f", os.path.basename(f)],
                           cwd=d, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            print(f"spec-schema: {f}: cncapply config failed: {r.stderr.strip()}", file=sys.stderr)
            bad += 1
            continue
        for e in validator.iter_errors(json.loads(r.stdout)):
            print(f"spec-schema: {f} (normalized): {'.'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
            bad += 1
if bad:
    sys.exit(f"spec-schema: {bad} problem(s)")
print(f"spec-schema: {len(files)} specs valid against specs/cnc-spec.schema.json" + (" (and their normalized forms)" if bin_path else ""))
PY
