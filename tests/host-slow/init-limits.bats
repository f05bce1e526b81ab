#!/usr/bin/env bats
# PID 1 (init/) against its real time limits, as PID 1 of a PID namespace
# (tests/lib/init.bash; tests/host/init.bats has the rest): a container's
# runsv waited for 5 s at most and a process ignoring SIGTERM killed after
# its 5 s at shutdown, runsvdir restarted at most once a second, 1000
# orphans reaped at once, berth.stage1_timeout bounding a hook, the watchdog
# fed once a second and starved by a boot check past its limit. Slow: each
# test waits those limits out in real time, 3 s to 6 s a test, and the
# orphans are 2000 forks of sh, 14 s on 2 busy cores.

setup_file() { load ../lib/common; load ../lib/init; init_bin; }
setup() { load ../lib/common; load ../lib/init; init_env; }
teardown() { ns_teardown; }

# term_stops_within MIN MAX: SIGTERM to PID 1, which is gone MIN to MAX
# seconds later; its console in $output
term_stops_within() {
	local start=$SECONDS
	kill -TERM "$PID1"
	ns_wait $(($2 + 5))
	assert [ $((SECONDS - start)) -ge "$1" ]
	assert [ $((SECONDS - start)) -le "$2" ]
	run cat "$T/out"
}

# lines_in FILE N: FILE has N lines or more
lines_in() { [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]; }

# pid1_children N: PID 1 has exactly N children (orphans it has not reaped
# yet are among them)
pid1_children() { [ "$(wc -w <"/proc/$PID1/task/$PID1/children")" -eq "$1" ]; }

# wd_pings N: the watchdog file has had N writes or more
wd_pings() { [ "$(stat -c %s "$T/wd")" -ge "$1" ]; }

@test "PID 1: a container's runsv that does not exit is waited for 5 s at most" {
	ns_prepare
	mkdir -p "$T/ctr-service/app/supervise"
	mkfifo "$T/ctr-service/app/supervise/ok"
	# a runsv that holds supervise/ok open and ignores sv exit
	runsvdir_fake "sh -c 'exec sleep 1000 <>$T/ctr-service/app/supervise/ok' &
exec sleep 1000"
	ns_boot
	term_stops_within 4 12
	assert_line "init: $T/ctr-service: runsv still running after sv exit"
	assert_line 'init: shutdown done: reboot'
}

@test "PID 1: reaps 1000 orphans at once, leaving no zombie" {
	ns_prepare
	# each ( true & ) leaves an orphan that PID 1 inherits and must reap
	runsvdir_fake "i=0; while [ \$i -lt 1000 ]; do ( true & ); i=\$((i + 1)); done
echo \"spawned \$i\" >>$T/log
exec sleep 1000"
	ns_boot
	# 2000 forks of sh: some seconds on a busy machine, whatever PID 1 does
	wait_until 30 grep -q '^spawned' "$T/log"
	run grep -c '^spawned 1000$' "$T/log"
	assert_output 1
	# every orphan is PID 1's child until it is reaped: once the runsvdir is
	# the only one left, all of them were
	wait_until 10 pid1_children 1
	# zombies are children of PID 1 in state Z: none may be left
	run sh -c "ps -o stat= --ppid $PID1 | grep -c Z"
	assert_output 0
	kill -TERM "$PID1"
	ns_wait 10
}

@test "PID 1: restarts runsvdir when it dies, at most once a second" {
	ns_prepare
	runsvdir_fake "date +%s%N >>$T/starts; exit 1"
	ns_boot
	# three starts timed (the fake logs its start before it takes the time)
	wait_until 10 lines_in "$T/starts" 3
	kill -TERM "$PID1"
	ns_wait 10
	# a second apart, and not much more: ms from one start to the next
	local gaps gap
	mapfile -t gaps < <(awk 'NR > 1 { print int(($1 - prev) / 1000000) } { prev = $1 }' "$T/starts")
	[ "${#gaps[@]}" -ge 2 ]
	for gap in "${gaps[@]:0:2}"; do
		assert [ "$gap" -ge 950 ]
		assert [ "$gap" -lt 3000 ]
	done
	run cat "$T/out"
	assert_line --partial "init: runsvdir $T/service exit status 1, restarting in 1 s"
	refute_line --partial "$T/ctr-service"
}

@test "PID 1: a process ignoring SIGTERM is killed at shutdown, within bounds" {
	ns_prepare
	runsvdir_fake "sh -c 'trap \"\" TERM HUP; echo \$\$ >$T/stubborn.pid; while :; do sleep 0.1; done' &
exec sleep 1000"
	ns_boot
	term_stops_within 4 10
	assert_line 'init: processes left after SIGTERM, sending SIGKILL'
	assert_line 'init: shutdown done: reboot'
}

@test "PID 1: berth.stage1_timeout on the kernel command line bounds the hooks" {
	ns_prepare
	printf '#!/bin/sh\nsleep 100\n' >"$T/stage1/10-stuck"
	chmod +x "$T/stage1/10-stuck"
	CMDLINE='console=ttyS0 berth.stage1_timeout=2 quiet' ns_boot
	kill -TERM "$PID1"
	ns_wait 10
	run cat "$T/out"
	assert_line 'init: stage1 hook 10-stuck timed out after 2 s, killed'
}

@test "PID 1: feeds the watchdog, runs the boot check after ready, and disarms it on halt" {
	ns_prepare
	: >"$T/wd"
	printf '#!/bin/sh\necho "check $*" >>%s/log\n' "$T" >"$T/check"
	chmod +x "$T/check"
	CMDLINE='berth.watchdog=3' BERTH_INIT_WATCHDOG=$T/wd BERTH_INIT_CHECK=$T/check ns_boot
	# four pings: one when armed (before ready), then one a second (3 s / 3)
	local start
	start=${EPOCHREALTIME/[.,]/}
	wait_until 10 wd_pings 4
	assert [ $(((${EPOCHREALTIME/[.,]/} - start) / 1000)) -lt 4000 ]
	wait_until 5 grep -q '^check ' "$T/log"
	kill -USR1 "$PID1"
	ns_wait 10
	run cat "$T/out"
	assert_line "init: watchdog $T/wd armed, 3 s"
	# a regular file takes no ioctl: each ping is a write of "k", every 1 s
	run cat "$T/wd"
	assert_output --regexp '^kkkk+V$'
	run cat "$T/log"
	assert_line 'check update check'
}

@test "PID 1: a boot check that hangs past its limit starves the watchdog" {
	ns_prepare
	: >"$T/wd"
	printf '#!/bin/sh\nexec sleep 100\n' >"$T/check"
	chmod +x "$T/check"
	CMDLINE='berth.watchdog=3' BERTH_INIT_WATCHDOG=$T/wd BERTH_INIT_CHECK=$T/check BERTH_INIT_CHECK_LIMIT=1 ns_boot
	wait_until 10 grep -q 'no longer feeding the watchdog' "$T/out"
	local fed
	fed=$(stat -c %s "$T/wd")
	# an absence: nothing happens that could be waited for instead
	sleep 2 # lint: sleep-ok no ping in two ping intervals (1 s each)
	assert_equal "$(stat -c %s "$T/wd")" "$fed"
	kill -TERM "$PID1"
	ns_wait 15
	run cat "$T/out"
	assert_line --partial 'boot check still running after its deadline: no longer feeding the watchdog'
}
