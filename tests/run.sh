#!/usr/bin/env bash
# run.sh DIR...: run the bats suites in each DIR, keep the TAP log in
# out/test.log, and end with the one summary line CI reads: "bats: N passed,
# N failed, N skipped". The host suites (every DIR but tests/vm) run side by
# side, BATS_JOBS files and BATS_JOBS tests of a file at a time (bats --jobs,
# which needs GNU parallel; default: the number of CPUs), then the QEMU
# suites (tests/vm) one test at a time. A suite that must not run its own
# tests side by side says so in its setup_file (BATS_NO_PARALLELIZE_WITHIN_FILE).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
log=${OUT:-$top/out}/test.log
mkdir -p "$(dirname "$log")"
: >"$log"
jobs=${BATS_JOBS:-$(nproc)}
if [ "$jobs" -gt 1 ] && ! command -v parallel >/dev/null; then
	echo "run.sh: no GNU parallel (make deps installs it): the suites run one test at a time" | tee -a "$log"
	jobs=1
fi
# GNU parallel's citation notice would land in the middle of the TAP
export PARALLEL=--will-cite
host=() vm=()
for d in "$@"; do
	case ${d%/} in
	vm | */vm) vm+=("$d"/*.bats) ;;
	*) host+=("$d"/*.bats) ;;
	esac
done
if [ ${#host[@]} -gt 0 ]; then
	if [ "$jobs" -gt 1 ]; then
		bats --formatter tap --jobs "$jobs" "${host[@]}"
	else
		bats --formatter tap "${host[@]}"
	fi 2>&1 | tee -a "$log"
fi
if [ ${#vm[@]} -gt 0 ]; then
	bats --formatter tap "${vm[@]}" 2>&1 | tee -a "$log"
fi
passed=$(grep -cE '^ok [0-9]+ ' "$log")
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log")
failed=$(grep -cE '^not ok [0-9]+ ' "$log")
passed=$((passed - skipped))
echo "bats: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
