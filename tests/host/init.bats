#!/usr/bin/env bats
# PID 1 (init/): its test subcommands on the host, and the real thing as PID 1
# of a PID namespace with BERTH_INIT_TEST=1 (tests/lib/init.bash). The tests
# that wait out PID 1's real time limits (shutdown's 5 s, the runsvdir
# restart's 1 s, the watchdog, the boot check, berth.stage1_timeout) and the
# 1000 orphans are in tests/host-slow/init-limits.bats.

setup_file() { load ../lib/common; load ../lib/init; init_bin; }
setup() { load ../lib/common; load ../lib/init; init_env; }
teardown() { ns_teardown; }

@test "init is static and refuses to run without a subcommand unless PID 1" {
	run readelf -lW "$INIT"
	refute_output --partial INTERP
	run "$INIT"
	assert_failure 100
	assert_output --partial 'usage: init hooks DIR'
}

@test "hostname-check accepts letters, digits, '-' and '.', up to 64" {
	for name in berth node-1 a.b.example web01.EU x "$(printf 'a%.0s' $(seq 64))"; do
		run "$INIT" hostname-check "$name"
		assert_success
	done
	for name in "" "$(printf 'a%.0s' $(seq 65))" under_score "sp ace" -lead .dot 'semi;colon' 'é'; do
		run "$INIT" hostname-check "$name"
		assert_failure 1
		assert_output --partial 'invalid hostname'
	done
}

@test "stage-1 hooks run in lexical order; dotfiles, backups and non-executables are skipped" {
	hook 20-b "echo b >>$T/order"
	hook 10-a "echo a >>$T/order"
	hook 100-c "echo c >>$T/order"
	hook .hidden "echo hidden >>$T/order"
	hook 30-d~ "echo backup >>$T/order"
	hook 40-noexec "echo noexec >>$T/order"
	chmod -x "$T/hooks/40-noexec"
	mkdir "$T/hooks/50-dir"
	run "$INIT" hooks "$T/hooks"
	assert_success
	assert_output ''
	run cat "$T/order"
	# strcmp order: "100-c" sorts before "20-b"
	assert_output "$(printf 'a\nc\nb')"
}

@test "a failing hook is named with its exit status and the next hook still runs" {
	hook 10-fail 'echo failing; exit 3'
	hook 20-sig 'kill -TERM $$'
	hook 30-next "touch $T/next-ran"
	run "$INIT" hooks "$T/hooks"
	assert_success
	assert_line 'failing'
	assert_line 'init: stage1 hook 10-fail failed: exit status 3'
	assert_line --regexp '^init: stage1 hook 20-sig failed: killed by signal 15 '
	[ -e "$T/next-ran" ]
}

@test "a hook past its timeout is killed with what it started, and named" {
	hook 10-slow "sleep 100 & echo \$! >$T/child.pid; exec sleep 100"
	hook 20-next "touch $T/next-ran"
	start=$SECONDS
	BERTH_STAGE1_TIMEOUT=1 run "$INIT" hooks "$T/hooks"
	assert_success
	assert_line 'init: stage1 hook 10-slow timed out after 1 s, killed'
	[ $((SECONDS - start)) -le 4 ]
	[ -e "$T/next-ran" ]
	child=$(cat "$T/child.pid")
	for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$child"
	assert_failure
}

@test "a hook gets a clean signal mask, default dispositions and /dev/null as stdin" {
	# awk, not sh: dash clears its own signal mask at startup and would hide ours
	mkdir -p "$T/hooks"
	cat >"$T/hooks/10-mask" <<-'EOF'
	#!/usr/bin/awk -f
	BEGIN { while ((getline l < "/proc/self/status") > 0) if (l ~ /^Sig(Blk|Ign):/) print l }
	EOF
	hook 20-stdin "readlink /proc/\$\$/fd/0"
	chmod +x "$T/hooks/10-mask"
	run "$INIT" hooks "$T/hooks"
	assert_success
	assert_line 'SigBlk:	0000000000000000'
	assert_line 'SigIgn:	0000000000000000'
	assert_line /dev/null
}

@test "a bad BERTH_STAGE1_TIMEOUT is a usage error" {
	BERTH_STAGE1_TIMEOUT=soon run "$INIT" hooks "$T"
	assert_failure 100
	assert_output --partial 'BERTH_STAGE1_TIMEOUT=soon'
}

@test "mounts-plan unmounts overlays first, children before parents, skips the pseudo filesystems" {
	cat >"$T/mountinfo" <<-'EOF'
	20 1 253:0 / / ro,relatime - erofs /dev/mapper/root ro
	21 20 0:5 / /dev rw,nosuid - devtmpfs devtmpfs rw
	22 20 0:20 / /proc rw,nosuid,nodev,noexec - proc proc rw
	23 20 0:21 / /sys rw,nosuid,nodev,noexec - sysfs sysfs rw
	24 20 0:22 / /run rw,nosuid,nodev - tmpfs tmpfs rw
	25 20 254:4 / /var rw,relatime - ext4 /dev/vda4 rw
	26 20 0:23 / /etc rw,relatime - overlay overlay rw,lowerdir=/etc,upperdir=/var/lib/berth/etc/upper
	27 21 0:24 / /dev/pts rw - devpts devpts rw
	28 23 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate
	29 20 0:26 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw
	30 25 0:27 / /var/lib/berth/containers/web/rootfs rw - overlay overlay rw
	31 25 254:5 / /var/data\040disk rw - ext4 /dev/vdb rw
	32 20 254:6 / /mnt rw - ext4 /dev/vdc rw
	EOF
	# listed before its parent (as after a move): it must still come first
	sed -i 's|^21 20|33 32 254:7 / /mnt/inner rw - ext4 /dev/vdd rw\n&|' "$T/mountinfo"
	run "$INIT" mounts-plan "$T/mountinfo"
	assert_success
	assert_output "$(printf '%s\n' /var/lib/berth/containers/web/rootfs /etc /mnt/inner /mnt /var/data\ disk /tmp /var)"
}

input_events() { # TYPE:CODE:VALUE...: struct input_event records (64-bit)
	python3 -c '
import struct, sys
for ev in sys.argv[1:]:
    t, c, v = (int(x) for x in ev.split(":"))
    sys.stdout.buffer.write(struct.pack("qqHHi", 0, 0, t, c, v))' "$@"
}

@test "the power button: only a KEY_POWER press (EV_KEY 116 value 1) asks for poweroff" {
	[ "$(uname -m)" = x86_64 ] || skip 'event layout written for 64-bit'
	input_events 4:4:116 1:116:1 0:0:0 1:116:0 0:0:0 >"$T/press"
	input_events 1:116:0 0:0:0 1:28:1 0:0:0 2:116:1 >"$T/other"
	: >"$T/empty"
	run "$INIT" power-events "$T/press"
	assert_output poweroff
	run "$INIT" power-events "$T/other"
	assert_output none
	run "$INIT" power-events "$T/empty"
	assert_output none
}

# --- PID 1 in a PID namespace (tests/lib/init.bash) -------------------------

timeline_events() { sed -n 's/^berth\[[0-9]*\.[0-9][0-9][0-9]\]: //p' "$T/out"; }

# runsvdir_starts N: the fake runsvdir has been started N times or more
runsvdir_starts() {
	local n
	n=$(grep -c '^runsvdir -P' "$T/log" 2>/dev/null) || :
	[ "${n:-0}" -ge "$1" ]
}

@test "PID 1: stage 1 and 2 in order, then SIGTERM stops services and reboots" {
	ns_prepare
	# shellcheck disable=SC2016 # expanded by the hook
	printf '#!/bin/sh\necho "hook $$" >>%s/log\n' "$T" >"$T/stage1/10-hook"
	chmod +x "$T/stage1/10-hook"
	ns_boot
	kill -TERM "$PID1"
	ns_wait 10
	run timeline_events
	assert_output "$(printf '%s\n' 'provision done' 'services started' ready 'shutdown start' 'shutdown done')"
	run cat "$T/out"
	assert_line 'init: shutdown done: reboot'
	run cat "$T/log"
	assert_line --index 0 --regexp '^hook [0-9]+$'
	# one runsvdir: berth starts the containers' runsv processes itself
	assert_line --index 1 "runsvdir -P $T/service"
	refute_line --partial "runsvdir -P $T/ctr-service"
	# the containers stop first, then their runsv processes exit
	assert_line --index 2 "sv -w 10 force-stop $T/ctr-service/app"
	assert_line --index 3 "sv exit $T/ctr-service/app"
	assert_line --index 4 --regexp "^sv -w 10 force-stop ($T/service/(web|db) ?){2}\$"
}

@test "PID 1: SIGUSR1 halts, SIGUSR2 and SIGPWR power off, SIGINT (ctrl-alt-del) reboots" {
	ns_prepare
	for pair in USR1:halt USR2:poweroff PWR:poweroff INT:reboot; do
		ns_boot
		kill -"${pair%%:*}" "$PID1"
		ns_wait 10
		run cat "$T/out"
		assert_line "init: shutdown done: ${pair#*:}"
	done
}

@test "PID 1: reaps orphans that exit, leaving no zombie" {
	ns_prepare
	# the orphan outlives its parent, so PID 1 inherits it; the fake runsvdir
	# watches it go (5 s at most: a zombie stays) and logs how it went
	runsvdir_fake "( sleep 0.2 & echo \$! >$T/orphan.pid )
pid=\$(cat $T/orphan.pid)
i=0
while [ -e /proc/\$pid/stat ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
if [ -e /proc/\$pid/stat ]; then echo \"orphan state \$(cut -d' ' -f3 /proc/\$pid/stat)\"; else echo 'orphan reaped'; fi >>$T/log
exec sleep 1000"
	ns_boot
	wait_until 10 grep -q '^orphan ' "$T/log"
	run ps -o stat= --ppid "$PID1"
	refute_output --partial Z
	kill -TERM "$PID1"
	ns_wait 10
	run cat "$T/log"
	assert_line 'orphan reaped'
}

@test "PID 1: no signal from inside its namespace kills it or stops the boot" {
	ns_prepare
	# every signal but the five that ask for a shutdown (INT 2, USR1 10,
	# USR2 12, TERM 15, PWR 30), KILL and STOP included, sent to PID 1 by a process in its namespace:
	# the fake runsvdir, which then exits. PID 1 reads every signal already
	# sent before it starts the next runsvdir, a second later: that start
	# says they were all handled.
	runsvdir_fake "if [ -e $T/sent ]; then exec sleep 1000; fi
for n in 1 3 4 5 6 7 8 9 11 13 14 16 17 18 19 20 21 22 23 24 25 26 27 28 29 31 \$(seq 34 64); do kill -s \$n 1 || echo \"kill \$n failed\"; done
echo sent >>$T/log
: >$T/sent"
	ns_boot
	wait_until 10 runsvdir_starts 2
	run cat "$T/log"
	assert_line sent
	kill -0 "$PID1"
	run grep -c 'shutdown start' "$T/out"
	assert_output 0
	# and it still answers a real shutdown request
	kill -TERM "$PID1"
	ns_wait 10
	run cat "$T/out"
	assert_line 'init: shutdown done: reboot'
}

@test "PID 1: a runsvdir killed with SIGKILL is started again" {
	ns_prepare
	ns_boot
	# PID 1's only child is the (fake) runsvdir
	kill -KILL $(cat "/proc/$PID1/task/$PID1/children")
	wait_until 5 runsvdir_starts 2
	run grep -c "^runsvdir -P $T/service\$" "$T/log"
	assert_output 2
	run cat "$T/out"
	assert_line --partial "init: runsvdir $T/service killed by signal 9 (Killed), restarting in 1 s"
	kill -TERM "$PID1"
	ns_wait 10
}

@test "var-check: a full filesystem is named in one line, a roomy one passes" {
	[ "$(id -u)" = 0 ] || skip 'needs root to mount a tmpfs'
	mkdir -p "$T/full" "$T/roomy"
	mount -t tmpfs -o size=2m tmpfs "$T/full"
	mount -t tmpfs -o size=64m tmpfs "$T/roomy"
	dd if=/dev/zero of="$T/full/fill" bs=64k 2>/dev/null || true
	run "$INIT" var-check "$T/full"
	umount "$T/full"
	assert_failure 1
	assert_output --regexp "^init: $T/full is full: [0-9]+ KiB free of 2 MiB; state, logs and containers cannot be written until space is freed"
	run "$INIT" var-check "$T/roomy"
	umount "$T/roomy"
	assert_success
	assert_output ''
}

@test "PID 1: the random seed is replaced at boot and again at shutdown" {
	ns_prepare
	head -c 512 /dev/zero >"$T/seed"
	ns_boot
	run stat -c '%s %a' "$T/seed"
	assert_output '512 600'
	run cmp -s "$T/seed" <(head -c 512 /dev/zero)
	assert_failure
	cp "$T/seed" "$T/seed.boot"
	kill -USR2 "$PID1"
	ns_wait 10
	run cmp -s "$T/seed" "$T/seed.boot"
	assert_failure
	run stat -c '%s %a' "$T/seed"
	assert_output '512 600'
}

@test "PID 1: a seed temporary left by a power cut (seed.tmp.1, a file or a symlink) does not stop the seed" {
	ns_prepare
	head -c 512 /dev/zero >"$T/seed"
	# PID 1 is always pid 1, so a cut mid-write leaves the same name each boot
	echo stale >"$T/seed.tmp.1"
	ns_boot
	run cmp -s "$T/seed" <(head -c 512 /dev/zero)
	assert_failure
	run stat -c '%s %a' "$T/seed"
	assert_output '512 600'
	[ ! -e "$T/seed.tmp.1" ]
	# a planted symlink is removed, never followed
	echo keep >"$T/victim"
	ln -s "$T/victim" "$T/seed.tmp.1"
	cp "$T/seed" "$T/seed.boot"
	kill -USR2 "$PID1"
	ns_wait 10
	run cmp -s "$T/seed" "$T/seed.boot"
	assert_failure
	assert_equal "$(cat "$T/victim")" keep
	[ ! -L "$T/seed.tmp.1" ]
}

@test "PID 1: the first boot writes a random machine id; later boots keep it; a bad one is made anew" {
	ns_prepare
	ns_boot
	run cat "$T/machine-id"
	assert_output --regexp '^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$'
	first=$output
	run stat -c %a "$T/machine-id"
	assert_output 444
	run grep -c "init: first boot: machine id $first" "$T/out"
	assert_output 1
	kill -USR2 "$PID1"
	ns_wait 10
	ns_boot
	assert_equal "$(cat "$T/machine-id")" "$first"
	kill -USR2 "$PID1"
	ns_wait 10
	echo 0000 >"$T/machine-id"
	ns_boot
	run cat "$T/machine-id"
	refute_output "$first"
	assert_output --regexp '^[0-9a-f]{32}$'
	run grep "machine-id: not 32 hex digits: made anew" "$T/out"
	assert_success
}

@test "PID 1: a hook past its timeout does not stop the boot" {
	ns_prepare
	printf '#!/bin/sh\nsleep 100\n' >"$T/stage1/10-stuck"
	chmod +x "$T/stage1/10-stuck"
	STAGE1_TIMEOUT=1 ns_boot
	kill -TERM "$PID1"
	ns_wait 10
	run cat "$T/out"
	assert_line 'init: stage1 hook 10-stuck timed out after 1 s, killed'
	assert_line --regexp 'ready$'
}

@test "PID 1: a shutdown signal during a hook ends the hook and skips stage 2" {
	ns_prepare
	printf '#!/bin/sh\necho stuck hook started\nexec sleep 100\n' >"$T/stage1/10-stuck"
	chmod +x "$T/stage1/10-stuck"
	WAIT_FOR='^stuck hook started$' CMDLINE='berth.stage1_timeout=60 berth.stage1_timeout=bogus' ns_boot
	kill -USR1 "$PID1"
	ns_wait 5
	run cat "$T/out"
	assert_line 'init: berth.stage1_timeout=bogus: expected seconds, 1 to 86400'
	assert_line 'init: stage1 hook 10-stuck interrupted by halt, killed'
	refute_line --partial 'services started'
	assert_line 'init: shutdown done: halt'
	run cat "$T/log"
	refute_output --partial runsvdir
}
