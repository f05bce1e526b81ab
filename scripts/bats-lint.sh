#!/bin/sh
# bats-lint.sh [PATH...]: find test lines that cannot fail, and sleeps used as
# synchronisation, in every .bats file under PATH (default: tests/). Prints
# FILE:LINE: WHY for each and exits 1 if there is any.
#
# Under bats' set -e only the last command of an && list can fail a test, so
# in the middle of a test `[ a = b ] && [ c = d ]` asserts nothing about a;
# the last command of a test is fine (bats fails on the test's status), and
# so are && in if/while conditions, in helper functions and lists ending in
# break, continue, return, exit, fail, false or skip (they are conditionals).
# A `! cmd` in the middle of a test is ignored by set -e the same way, and
# `[ ... ] || true` throws a test away wherever it is.
#
# A sleep run directly by a test (not in a polling loop, not a `sleep N &`
# holder process) waits for a guess instead of for a condition; when nothing
# can be waited on, mark it on its line with `# lint: sleep-ok REASON`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	cd "$here/.."
	set -- tests
fi
for p in "$@"; do
	[ -e "$p" ] || { echo "bats-lint: $p: no such file or directory" >&2; exit 1; }
done
files=$(find "$@" -type f -name '*.bats' | LC_ALL=C sort)
[ -n "$files" ] || { echo "bats-lint: no .bats file in $*" >&2; exit 1; }
set -f
IFS='
'
rc=0
# shellcheck disable=SC2086 # one file a line
awk -f "$here/bats-lint.awk" $files || rc=$?
case $rc in
0 | 1) exit "$rc" ;;
*) echo "bats-lint: awk failed (status $rc)" >&2; exit 111 ;;
esac
