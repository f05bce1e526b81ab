# Loaded by every suite: bats-support, bats-assert and the project's paths.
# Their function files are sourced directly: each library's load.bash runs a
# dirname per file, some fifteen forks in every test.
for _bats_lib in /usr/lib/bats/bats-support/src/*.bash /usr/lib/bats/bats-assert/src/*.bash; do
	# shellcheck source=/dev/null
	source "$_bats_lib"
done
unset _bats_lib

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
OUT=${OUT:-$TOP/out}
BERTH_CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
export TOP OUT BERTH_CACHE

# berth_make TARGET...: make TARGETs of the Makefile quietly, one make at a
# time: suites run side by side (bats --jobs), and two makes of one target
# would write the same files at once
berth_make() {
	mkdir -p "$OUT" || return 1
	(
		flock 9 || exit 1
		make -s -C "$TOP" "$@" >&2
	) 9>"$OUT/.make.lock"
}

# berth_bin DIR: build out/bin/berth with make (its parts, the edge check)
# and copy it to DIR/berth, so that a make run by another suite cannot swap
# the binary under a running test
berth_bin() {
	berth_make "$OUT/bin/berth" && mkdir -p "$1" && cp "$OUT/bin/berth" "$1/berth"
}

# running PID: PID is a job of this shell that has not exited. kill -0 is no
# such test: bash reaps a child the moment it exits, and the PID may be
# another process's soon after (suites side by side start many)
running() { [[ $'\n'"$(jobs -p)"$'\n' == *$'\n'"$1"$'\n'* ]]; }

# kill_running PID...: SIGTERM to each PID that is still running (running),
# for a teardown: never to a process that only took over a PID
kill_running() {
	local p
	for p; do
		if running "$p"; then kill "$p" 2>/dev/null; fi
	done
	return 0
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
