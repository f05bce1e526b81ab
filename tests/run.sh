#!/usr/bin/env bash
# run.sh DIR...: run the bats suites in each DIR, keep the TAP log in
# out/test.log, and end with the one summary line CI reads: "bats: N passed,
# N failed, N skipped". The host suites (every DIR but tests/vm) run side by
# side, BATS_JOBS files at a time (bats --jobs, which needs GNU parallel;
# default: the number of CPUs), each file's tests one after the other: bats
# 1.8 hands out its slots for the tests of a file by polling, a second at a
# time, at a dozen forks a poll, which costs more than the overlap gains.
# Then the QEMU suites (tests/vm), one test at a time.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
log=${OUT:-$top/out}/test.log
mkdir -p "$(dirname "$log")"
: >"$log"
# the tests run Debian's host tools, the ones `make deps` installs, ahead of
# any per-user shim: pyenv's python3 costs 0.7 s a call, Debian's 0.08 s
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
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
	# the largest files (the longest, most often) first, so that no long
	# one is left to run alone at the end
	mapfile -t host < <(ls -S "${host[@]}")
	if [ "$jobs" -gt 1 ]; then
		bats --formatter tap --jobs "$jobs" --no-parallelize-within-files "${host[@]}"
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
