#!/usr/bin/env bash
# npm test: the C units (meson test), the TypeScript units, then the integration tests that run the
# real core on virtual devices. Ends with one line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # count PATTERN: the number in the first line of $log matching "<n> PATTERN"
	grep -oE "[0-9]+ $1" "$log" | head -n 1 | grep -oE '^[0-9]+' || echo 0
}

echo "manifold: C unit tests (meson test)"
meson test -C build --print-errorlogs 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Expected Fail|Unexpected Pass|Skipped|Timeout):'
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
passed=$((passed + $(awk '/^Ok:/ {s += $2} END {print s + 0}' "$log")))
failed=$((failed + $(awk '/^(Fail|Timeout):/ {s += $2} END {print s + 0}' "$log")))

for suite in unit integration; do
	echo "manifold: TypeScript $suite tests (mocha dist/test/$suite)"
	npx mocha --reporter spec "dist/test/$suite/**/*.test.js" 2>&1 | tee "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
	passed=$((passed + $(count passing)))
	failed=$((failed + $(count failing)))
done

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
