#!/usr/bin/env bash
# Builds and runs every test, then prints one closing line: "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

failed_checks=0
passed_checks=0
check() {
  local name=$1; shift
  if "$@"; then passed_checks=$((passed_checks + 1)); else echo "FAILED: $name" >&2; failed_checks=$((failed_checks + 1)); fi
}

swift build --build-tests || { echo "tests: 0 passed, 1 failed"; exit 1; }
check "layering" python3 scripts/check-layers.py
for s in scripts/checks/*.sh; do
  [ -e "$s" ] || continue
  check "$s" bash "$s"
done

log=$(mktemp /tmp/cnc-test-log.XXXXXX)
trap 'rm -f "$log"' EXIT
# A hung test must fail the run, not eat CI's limit: 25 minutes for the whole suite.
timeout --kill-after=30 1500 swift test --skip-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Swift Testing reports "Test run with N tests in M suites passed/failed"; count failing tests.
total=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
# One line per failing test ("✘ Test NAME failed after ..."); not the issues it recorded
# ("Expectation failed") nor the closing "Test run with ... failed".
failed=$(grep -E '^✘ Test .* failed after ' "$log" | grep -vcE '^✘ Test run with ' || true)
xc_failed=$(grep -oE 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -1 | awk '{print $5}')
failed=$((failed + ${xc_failed:-0}))
passed=$((total - failed + passed_checks))
failed=$((failed + failed_checks))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
