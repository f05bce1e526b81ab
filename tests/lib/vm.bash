# QEMU harness for the bats suites: boot an overlay of a disk image, read the
# serial console, wait for timeline lines, run commands over SSH, cut power.

# vm_test_image: IMG and VM_KEY for out/test/berth.img (the image with a test
# SSH key for root); fails, naming the make target, when it is not built
vm_test_image() {
	IMG=$OUT/test/berth.img
	VM_KEY=$OUT/test/id_ed25519
	[ -f "$IMG" ] || { echo "out/test/berth.img is missing: make test-image" >&2; return 1; }
}

# vm_boot IMAGE [SIZE]: boot a fresh qcow2 overlay of IMAGE in the background
vm_boot() {
	vm_disk "$@"
	vm_start
}

# vm_disk IMAGE [SIZE]: only make the overlay (raw or qcow2 IMAGE), to change
# the disk with qemu-io before vm_start boots it
vm_disk() {
	local image=$1 size=${2:-2G} fmt=raw
	case $image in *.qcow2) fmt=qcow2 ;; esac
	VM_DIR=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/vm.XXXXXX")
	VM_LOG=$VM_DIR/serial.log
	VM_SSH_PORT=$(vm_free_port)
	export VM_DIR VM_LOG VM_SSH_PORT
	qemu-img create -q -f qcow2 -b "$image" -F "$fmt" "$VM_DIR/disk.qcow2" "$size"
	: >"$VM_LOG"
	VM_MARK=0
}

# vm_part_offset IMAGE N: byte offset of partition N in a raw IMAGE
vm_part_offset() {
	echo $(($(sfdisk -J "$1" | jq ".partitiontable.partitions[$(($2 - 1))].start") * 512))
}

# QEMU removes its pid file when it exits: keep the pid in VM_PID
vm_start() {
	VM_SERIAL=$VM_LOG VM_DAEMON=1 "$TOP/tests/lib/qemu.sh" "$VM_DIR/disk.qcow2"
	VM_PID=$(cat "$VM_DIR/qemu.pid")
	export VM_PID
}

# vm_restart: boot the same disk again (after a poweroff or a cut)
vm_restart() {
	: >"$VM_LOG"
	VM_MARK=0
	vm_start
}

vm_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# vm_running: QEMU still runs: VM_PID is a QEMU of this VM_DIR's disk (QEMU
# runs as a daemon, so once it exits its PID may be another process's)
vm_running() { [ -n "${VM_PID:-}" ] && grep -qaF "$VM_DIR/disk.qcow2" "/proc/$VM_PID/cmdline" 2>/dev/null; }

# _vm_gone PID: PID has exited and closed its files (gone, or a zombie). Its
# cmdline empties earlier, when its memory goes, while it still holds the
# disk's lock: qemu-io right after that fails "Failed to get write lock"
_vm_gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "${st%% *}" = Z ] || [ "${st%% *}" = X ]
}

# vm_mark: from now on vm_wait and vm_console only see what comes after
# (a reboot keeps QEMU and its console log)
vm_mark() { VM_MARK=$(stat -c %s "$VM_LOG"); }

# vm_console: the console since the last mark, without carriage returns
vm_console() { tail -c +$((${VM_MARK:-0} + 1)) "$VM_LOG" | tr -d '\r'; }

# vm_wait EVENT [TIMEOUT]: wait for "berth[...]: EVENT" on the serial console
vm_wait() {
	local event=$1 timeout=${2:-180} i=0
	while [ "$i" -lt $((timeout * 5)) ]; do
		vm_console | grep -qE "berth\[[0-9]+\.[0-9]{3}\]: $event\$" && return 0
		vm_running || { echo "vm_wait: QEMU exited before '$event'" >&2; tail -n 30 "$VM_LOG" >&2; return 1; }
		sleep 0.2
		i=$((i + 1))
	done
	echo "vm_wait: no '$event' within ${timeout}s; console ends with:" >&2
	tail -n 30 "$VM_LOG" >&2
	return 1
}

# vm_reboot: reboot the guest from inside and wait for the next boot's ready
# (QEMU resets in place: the new boot follows on the same console)
vm_reboot() {
	vm_mark
	vm_ssh reboot
	vm_wait 'shutdown done' 60
	vm_wait 'init start'
	vm_wait ready
}

# vm_wait_exit [TIMEOUT]: wait for QEMU to exit (poweroff)
vm_wait_exit() {
	local timeout=${1:-60} i=0
	while [ "$i" -lt $((timeout * 5)) ]; do
		if ! vm_running && _vm_gone "$VM_PID"; then return 0; fi
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

vm_monitor() { printf '%s\n' "$*" | socat - "UNIX-CONNECT:$VM_DIR/monitor.sock" >/dev/null; }

# vm_cut: power cut (kill -9 of QEMU)
vm_cut() {
	vm_running && kill -9 "$VM_PID"
	while vm_running; do sleep 0.1; done
	if [ -n "${VM_PID:-}" ]; then wait_until 30 _vm_gone "$VM_PID"; fi
	rm -f "$VM_DIR/qemu.pid"
	VM_PID=
}

vm_stop() { vm_cut; return 0; }

# vm_ssh CMD...: run a command in the guest as root
# (a deadline, VM_SSH_TIMEOUT seconds: a guest command that hangs fails the test)
vm_ssh() {
	timeout "${VM_SSH_TIMEOUT:-600}" ssh -q -i "$VM_KEY" -p "$VM_SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 root@127.0.0.1 "$@"
}

# vm_ssh_as USER CMD...: the same as another user
vm_ssh_as() {
	local user=$1
	shift
	timeout "${VM_SSH_TIMEOUT:-600}" ssh -q -i "$VM_KEY" -p "$VM_SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 "$user@127.0.0.1" "$@"
}

# vm_wait_ssh [TIMEOUT]
vm_wait_ssh() {
	local timeout=${1:-120} end=$((SECONDS + ${1:-120}))
	# wall time: a port QEMU accepts but nobody answers costs ConnectTimeout per try
	while [ "$SECONDS" -lt "$end" ]; do
		vm_ssh true 2>/dev/null && return 0
		vm_running || break
		sleep 1
	done
	echo "vm_wait_ssh: no SSH within ${timeout}s" >&2
	tail -n 30 "$VM_LOG" >&2
	return 1
}
