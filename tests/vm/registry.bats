#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2034,SC2154 # guest commands in single quotes; VM_KEY is read by vm_ssh; REG_vm* are set by reg_start
# Registries and HTTPS in QEMU, against real peers on the host (QEMU's user
# network reaches the host's loopback as 10.0.2.2): Debian's docker-registry
# with TLS from a private CA and htpasswd auth, images pushed by skopeo, and
# a static HTTPS server for a seed and an update bundle. One VM, two boots:
# 1. a NoCloud seed (cloud-localds) gives the CA (ca_certs:), the
#    registry's credentials (berth: registries:) and a container whose image
#    exists only in the registry: it is pulled and runs before `ready`;
# 2. the next boot takes its seed from seedfrom over HTTPS (trusting the CA
#    the first boot added), and an update bundle is installed from an HTTPS
#    URL.

setup_file() {
	load ../lib/common
	load ../lib/registry
	"$TOP/tests/lib/update-images.sh" >/dev/null 2>&1
	local d=$BATS_FILE_TMPDIR/ca
	reg_ca "$d"
	# the guest dials 10.0.2.2; skopeo on the host 127.0.0.1
	_reg_leaf "$d" vm IP:10.0.2.2,IP:127.0.0.1
	reg_start vm --tls "$d/vm" --htpasswd alice 's3cret pass'
	reg_push "oci-archive:$OUT/demo.tar:demo:latest" "$REG_vm/team/demo:1" >&2
}

teardown_file() {
	load ../lib/common
	load ../lib/registry
	reg_stop_all
}

setup() {
	load ../lib/common
	load ../lib/vm
	load ../lib/registry
	VM_KEY=$OUT/test/id_ed25519
	PORT=${REG_vm#127.0.0.1:}
}

teardown() {
	vm_stop
	if [ -n "${FILES_PID:-}" ]; then kill_running "$FILES_PID"; fi
}

# files_start DIR: https-files.py serving DIR with the vm certificate;
# FILES_PORT, FILES_PID
files_start() {
	local pf=$BATS_TEST_TMPDIR/files.port
	python3 "$TOP/tests/lib/https-files.py" --dir "$1" --cert "$BATS_FILE_TMPDIR/ca/vm.crt" \
		--key "$BATS_FILE_TMPDIR/ca/vm.key" --port-file "$pf" --log "$BATS_TEST_TMPDIR/files.log" 3>&- &
	FILES_PID=$!
	wait_until 20 test -s "$pf"
	FILES_PORT=$(cat "$pf")
}

# the CA as a YAML block scalar's lines, indented by $1 spaces
ca_lines() { sed "s/^/$(printf '%*s' "$1" '')/" "$BATS_FILE_TMPDIR/ca/ca.crt"; }

@test "HTTPS registry: ca_certs, credentials from berth: registries:, a registry-only image running before ready; seedfrom and an update over HTTPS" {
	local S=$BATS_TEST_TMPDIR seed=$BATS_TEST_TMPDIR/seed web=$BATS_TEST_TMPDIR/web
	mkdir -p "$seed" "$web/seed"
	cat >"$seed/user-data" <<-UD
	#cloud-config
	ca_certs:
	  trusted:
	    - |
	$(ca_lines 8)
	berth:
	  registries:
	    configs:
	      "10.0.2.2:$PORT":
	        auth: {username: alice, password: "s3cret pass"}
	  containers:
	    web:
	      image: "10.0.2.2:$PORT/team/demo:1"
	      restart: always
	UD
	printf 'instance-id: i-reg1\n' >"$seed/meta-data"
	cloud-localds "$S/seed.img" "$seed/user-data" "$seed/meta-data"
	export VM_SEED=$S/seed.img
	vm_boot "$OUT/test/berth.img"
	vm_wait ready 300
	# pulled on the console, started before ready
	vm_console >"$S/console1"
	grep -q 'container web: 1: Pulling from team/demo$' "$S/console1"  # getty's prompt may share the line
	grep -qE '^container web: [0-9a-f]{12}: Download complete$' "$S/console1"
	[ "$(grep -nE 'container web started$' "$S/console1" | cut -d: -f1)" -lt "$(grep -nE 'berth\[[0-9.]+\]: ready$' "$S/console1" | cut -d: -f1)" ]
	# the password is not on the console, nor in any log
	[ "$(grep -c 's3cret' "$S/console1")" = 0 ]
	vm_wait_ssh
	run vm_ssh 'find /var/log /run/berth -type f -exec grep -l s3cret {} + | wc -l'  # not grep -r: runsv's FIFOs block it
	assert_output 0
	run vm_ssh 'berth ps; berth images --digests; stat -c "%a %n" /etc/berth/registries.yaml'
	assert_success
	assert_line --regexp "^web +10\\.0\\.2\\.2:$PORT/team/demo:1 +running "
	assert_line --regexp "^10\\.0\\.2\\.2:$PORT/team/demo +1 +sha256:[0-9a-f]{64} +[0-9a-f]{12} "
	assert_line '600 /etc/berth/registries.yaml'
	# Debian's roots and the one ca_certs added
	run vm_ssh 'grep -c "BEGIN CERTIFICATE" /etc/ssl/certs/ca-certificates.crt'
	[ "$output" -gt 100 ]
	# the registry saw the credentials it asked for
	grep -q 'alice' "$REG_vm_LOG"

	# boot 2: seedfrom over HTTPS, served with the private CA's certificate
	cat >"$web/seed/user-data" <<-UD
	#cloud-config
	write_files:
	  - path: /etc/berth/seeded
	    content: from https
	UD
	printf 'instance-id: i-reg2\n' >"$web/seed/meta-data"
	cp "$OUT/test/updates/berth-0.2.0.bundle" "$web/u.bundle"
	files_start "$web"
	vm_ssh poweroff || true
	vm_wait_exit 60
	unset VM_SEED
	VM_BOOT=direct VM_APPEND="$(cat "$OUT/cmdline") ds=nocloud;s=https://10.0.2.2:$FILES_PORT/seed/" vm_restart
	vm_wait ready 300
	vm_wait_ssh
	run vm_ssh 'cat /etc/berth/seeded; echo; berth status | grep -i instance; berth ps'
	assert_success
	assert_line 'from https'
	assert_output --partial 'i-reg2'
	assert_line --regexp "^web +10\\.0\\.2\\.2:$PORT/team/demo:1 +running "
	grep -q 'GET /seed/user-data' "$BATS_TEST_TMPDIR/files.log"
	run vm_ssh "berth update apply https://10.0.2.2:$FILES_PORT/u.bundle"
	assert_success
	assert_output --partial 'update: Berth 0.2.0 installed in slot b'
	grep -q 'GET /u.bundle' "$BATS_TEST_TMPDIR/files.log"
}
