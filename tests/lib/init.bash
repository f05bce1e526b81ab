# PID 1's suites (tests/host/init.bats, tests/host-slow/init-limits.bats):
# init built by make, the test's paths, stage-1 hooks, and init run as PID 1
# of a PID namespace with BERTH_INIT_TEST=1 (no mounts, no reboot(2): it
# prints "init: shutdown done: <action>" and exits instead), its runsvdir and
# sv faked by shell scripts that log to $T/log. Load after common.bash.

# init_bin: for setup_file: out/bin/init, built by `make progs` (make check
# and make test run it first); the suite's tests one at a time
init_bin() {
	# run.sh runs a file's tests one after the other; bats --jobs by hand
	# must too: the PID 1 tests time shutdowns, restarts and watchdog pings
	# to the second
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	berth_make "$OUT/bin/init"
}

# init_env: for setup: INIT, T, and no namespace started yet (NS)
init_env() {
	INIT=$OUT/bin/init
	T=$BATS_TEST_TMPDIR
	NS=
}

# ns_teardown: for teardown: a failed assertion must not leave a namespace's
# PID 1 behind
ns_teardown() {
	if [ -n "$NS" ] && running "$NS"; then
		[ -n "$PID1" ] && kill -KILL "$PID1" 2>/dev/null
		kill -KILL "$NS" 2>/dev/null
	fi
	return 0
}

hook() { # hook NAME BODY: an executable stage-1 hook in $T/hooks
	mkdir -p "$T/hooks"
	printf '#!/bin/sh\n%s\n' "$2" >"$T/hooks/$1"
	chmod +x "$T/hooks/$1"
}

# --- PID 1 in a PID namespace ------------------------------------------------

# ns_prepare: skip unless a PID namespace can be made; the service
# directories, the fake sv, and a fake runsvdir that sleeps
ns_prepare() {
	[ "$(id -u)" = 0 ] || skip 'needs root for unshare --pid'
	unshare --pid --fork --mount-proc true 2>/dev/null || skip 'unshare --pid unavailable'
	case "$T" in /run/*) skip 'test dir is under /run, which the namespace hides' ;; esac
	mkdir -p "$T/service/web" "$T/service/db" "$T/ctr-service/app" "$T/stage1"
	cat >"$T/sv" <<-EOF
	#!/bin/sh
	echo "sv \$*" >>"$T/log"
	EOF
	chmod +x "$T/sv"
	runsvdir_fake "exec sleep 1000"
}

runsvdir_fake() { # the fake runsvdir: logs its start, then runs BODY
	cat >"$T/runsvdir" <<-EOF
	#!/bin/sh
	echo "runsvdir \$*" >>"$T/log"
	$1
	EOF
	chmod +x "$T/runsvdir"
}

# Start init as PID 1 with a private /run, and CMDLINE (if set) as its
# /proc/cmdline; waits for the line WAIT_FOR (default: ready); sets NS (unshare's pid) and PID1
# (init's pid as seen from the host).
ns_boot() {
	local cmdline=
	if [ -n "${CMDLINE:-}" ]; then
		cmdline=$T/cmdline
		echo "$CMDLINE" >"$cmdline"
	fi
	# shellcheck disable=SC2016 # expanded by the inner sh
	CMDLINE_FILE=$cmdline unshare --pid --fork --mount-proc sh -c '
		mount -t tmpfs tmpfs /run || exit
		if [ -n "$CMDLINE_FILE" ]; then mount --bind "$CMDLINE_FILE" /proc/cmdline || exit; fi
		exec "$@"' sh \
		env BERTH_INIT_TEST=1 BERTH_INIT_RUNSVDIR="$T/runsvdir" BERTH_INIT_SV="$T/sv" \
		BERTH_INIT_SERVICE_DIR="$T/service" BERTH_INIT_CONTAINER_DIR="$T/ctr-service" \
		BERTH_INIT_STAGE1_DIR="$T/stage1" \
		BERTH_INIT_SEED="$T/seed" BERTH_INIT_MACHINE_ID="$T/machine-id" BERTH_STAGE1_TIMEOUT="${STAGE1_TIMEOUT:-}" \
		"$INIT" >"$T/out" 2>&1 3>&- &
	NS=$!
	PID1=
	# up means it said so: a signal sent before then finds no handler
	wait_until 30 _ns_up
}

# _ns_up: PID1 is the namespace's init, and its console has WAIT_FOR
# (default ": ready")
_ns_up() {
	PID1=$(tr -d ' ' 2>/dev/null <"/proc/$NS/task/$NS/children")
	[ -n "$PID1" ] && grep -q "${WAIT_FOR:-: ready\$}" "$T/out"
}

ns_wait() { # wait up to $1 s for init to exit; its exit status in $status
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$NS" 2>/dev/null || break
		sleep 0.1
	done
	if running "$NS"; then
		kill -KILL "$PID1" "$NS"
		cat "$T/out" >&2
		return 1
	fi
	wait "$NS"
}
