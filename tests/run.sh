#!/usr/bin/env bash
# run.sh DIR...: run the bats suites, keep the TAP log in out/test.log, and end
# with the one summary line CI reads: "bats: N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
log=${OUT:-$top/out}/test.log
mkdir -p "$(dirname "$log")"
files=()
for d in "$@"; do files+=("$d"/*.bats); done
bats --formatter tap "${files[@]}" 2>&1 | tee "$log"
passed=$(grep -cE '^ok [0-9]+ ' "$log" | head -1)
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log")
failed=$(grep -cE '^not ok [0-9]+ ' "$log")
passed=$((passed - skipped))
echo "bats: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
