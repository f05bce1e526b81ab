#!/usr/bin/env bats
# The update boot check (berth update check) against its real deadline, on
# the fake host of tests/lib/update.bash (tests/host/update.bats has the
# rest): a failing health.d program marks the trial boot bad and is named, a
# health.d program starts with every signal at its default, and a container
# not running, an unhealthy one, a service down and a hung health.d program
# each fail the check. Slow: a check that fails tries again every 0.5 s
# until its deadline (1 s or 2 s) runs out, so each failing check waits its
# deadline out in real time, five of them in one test.
# shellcheck disable=SC2154 # bats' run sets status, output, lines
# shellcheck disable=SC2030,SC2031 # each test exports its own BERTH_* paths

bats_require_minimum_version 1.5.0

setup_file() { load ../lib/common; load ../lib/update; update_bin; }
setup() { load ../lib/common; load ../lib/update; update_env; }

@test "check: a failing health.d program marks the boot bad (+0-3) and names it on the timeline" {
	trial_b
	printf '#!/bin/sh\necho checking >&2\nexit 3\n' >"$BERTH_ETC/berth/health.d/30-fail"
	chmod +x "$BERTH_ETC/berth/health.d/30-fail"
	DEADLINE=2 run check
	assert_failure 1
	assert_line 'berth update: check: health.d/30-fail: exit 3 (deadline 2 s)'
	assert_line 'update: berth-0.2.0+2-1.efi marked bad (now berth-0.2.0+0-3.efi)'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+0-3.efi "
	run cat "$BERTH_RUN/timeline"
	assert_output --regexp '^berth\[[0-9.]+\]: boot failed: health.d/30-fail: exit 3 \(deadline 2 s\)$'
	run "$BERTH" update status
	assert_line 'slot a: Berth 0.1.0, good, berth-0.1.0.efi (boots next)'
	assert_line --regexp '^last check: failed, .*: health.d/30-fail: exit 3 \(deadline 2 s\)$'
}

@test "check: health.d programs start with every signal at its default; one killed by a signal is named" {
	trial_b
	# awk, not sh: dash clears its own signal mask at startup and would hide ours
	cat >"$BERTH_ETC/berth/health.d/30-signals" <<-EOF
	#!/usr/bin/awk -f
	BEGIN { while ((getline l < "/proc/self/status") > 0) if (l ~ /^Sig(Blk|Ign):/) print l >"$W/signals" }
	EOF
	printf '#!/bin/sh\nkill -TERM $$\n' >"$BERTH_ETC/berth/health.d/40-killed"
	chmod +x "$BERTH_ETC/berth/health.d/30-signals" "$BERTH_ETC/berth/health.d/40-killed"
	# 34: one of musl's reserved signals, which its sigaction() cannot reset
	run bash -c 'trap "" HUP 34; exec "$@"' sh "$BERTH" update check --no-reboot --grace 1 --deadline 2
	assert_failure 1
	assert_line 'berth update: check: health.d/40-killed: killed by signal 15 (deadline 2 s)'
	run cat "$W/signals"
	assert_line 'SigBlk:	0000000000000000'
	assert_line 'SigIgn:	0000000000000000'
}

@test "check fails: a container not running, an unhealthy one, a service down, a hung health.d program" {
	trial_b
	ctr_state web status=exited exit_code=1 pid=0
	DEADLINE=2 run check
	assert_failure 1
	assert_line 'berth update: check: container web: exited (deadline 2 s)'
	mv "$(L)/berth-0.2.0+0-3.efi" "$(L)/berth-0.2.0+2-1.efi"
	ctr_state web status=running "pid=$$" health=unhealthy
	DEADLINE=2 run check
	assert_line 'berth update: check: container web: health unhealthy (deadline 2 s)'
	mv "$(L)/berth-0.2.0+0-3.efi" "$(L)/berth-0.2.0+2-1.efi"
	ctr_state web status=running "pid=$$" health=healthy
	echo down >"$BERTH_ETC/service/sshd/supervise/stat"
	printf '%017du00' 0 >"$BERTH_ETC/service/sshd/supervise/status"
	DEADLINE=2 run check
	assert_line 'berth update: check: service sshd: down (deadline 2 s)'
	mv "$(L)/berth-0.2.0+0-3.efi" "$(L)/berth-0.2.0+2-1.efi"
	echo run >"$BERTH_ETC/service/sshd/supervise/stat"
	printf '#!/bin/sh\nsleep 30\n' >"$BERTH_ETC/berth/health.d/40-hang"
	chmod +x "$BERTH_ETC/berth/health.d/40-hang"
	DEADLINE=2 run check
	assert_line --regexp '^berth update: check: health.d/40-hang: no answer in [12] s \(deadline 2 s\)$'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+0-3.efi "
	mv "$(L)/berth-0.2.0+0-3.efi" "$(L)/berth-0.2.0+2-1.efi"
	rm "$BERTH_ETC/berth/health.d/40-hang" "$BERTH_ROOT/containers/idle/stopped"
	DEADLINE=1 run check
	assert_line 'berth update: check: container idle: not started (no state) (deadline 1 s)'
}
