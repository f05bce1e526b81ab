# Loaded by every suite: bats-support, bats-assert and the project's paths.
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
OUT=${OUT:-$TOP/out}
BERTH_CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
export TOP OUT BERTH_CACHE

# berth_bin DIR: build out/bin/berth with make (its parts, the edge check)
# and copy it to DIR/berth, so that a make run by another suite cannot swap
# the binary under a running test
berth_bin() {
	make -s -C "$TOP" "$OUT/bin/berth" >&2 || return 1
	mkdir -p "$1" && cp "$OUT/bin/berth" "$1/berth"
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds; fail,
# naming CMD, when SECONDS (whole seconds) pass first. What a test waits for
# instead of sleeping: the condition itself, with a deadline.
wait_until() {
	local limit=$1 end
	shift
	end=$((${EPOCHREALTIME/[.,]/} + limit * 1000000))
	until "$@"; do
		if ((${EPOCHREALTIME/[.,]/} >= end)); then
			echo "wait_until: still false after $limit s: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}
