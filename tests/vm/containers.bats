#!/usr/bin/env bats
# Containers on a booted Berth: load the demo image (made with umoci and
# skopeo by images/demo.sh), run it on the bridge network, read its logs,
# stop and remove it.

setup() {
	load ../lib/common
	load ../lib/vm
	VM_KEY=$OUT/test/id_ed25519
}

teardown() { vm_stop; }

@test "berth load, run, ps, logs, inspect on the bridge network" {
	vm_boot "$OUT/test/berth.img"
	vm_wait ready
	vm_wait_ssh
	vm_ssh 'cat >/var/tmp/demo.tar' <"$OUT/demo.tar"
	run vm_ssh 'berth load /var/tmp/demo.tar'
	assert_success
	assert_output 'Loaded image: demo:latest'
	run vm_ssh 'berth run -d --name demo --restart always demo:latest'
	assert_success
	wait_until 60 vm_ssh 'berth logs demo | grep -qx "hello from the Berth demo container"'
	run vm_ssh berth ps
	assert_line --regexp '^demo +demo:latest +running '
	run vm_ssh 'berth logs demo'
	assert_line 'hello from the Berth demo container'
	run vm_ssh "berth inspect demo | jq -r '.[0].NetworkSettings.IPAddress' 2>/dev/null || berth inspect demo"
	assert_output --partial '172.31.0.'
	# the next boot starts it again, before "ready"
	vm_mark
	vm_ssh reboot || true
	vm_wait 'container demo started'
	vm_wait ready
	local events
	events=$(vm_console | grep -oE 'berth\[[0-9.]+\]: (container demo started|ready)$' | sed 's/.*: //')
	assert_equal "$events" "$(printf '%s\n' 'container demo started' ready)"
	vm_wait_ssh
	run vm_ssh berth ps
	assert_line --regexp '^demo +demo:latest +running '
}

@test "berth stop and rm" {
	vm_boot "$OUT/test/berth.img"
	vm_wait ready
	vm_wait_ssh
	vm_ssh 'cat >/var/tmp/demo.tar' <"$OUT/demo.tar"
	vm_ssh 'berth load /var/tmp/demo.tar >/dev/null && berth run -d --name demo demo:latest >/dev/null'
	wait_until 60 vm_ssh 'berth ps | grep -qE "^demo +demo:latest +running "'
	run vm_ssh 'berth stop demo; berth ps -a'
	assert_success
	refute_line --regexp '^demo +demo:latest +running '
	run vm_ssh 'berth rm demo'
	assert_success
	assert_output demo
	run vm_ssh 'berth ps -a; ls /etc/berth/containers'
	assert_success
	refute_output --partial 'demo'
}

@test "a published port answers from outside the host" {
	local port
	port=$(vm_free_port)
	VM_FWD="hostfwd=tcp:127.0.0.1:$port-:8080" vm_boot "$OUT/test/berth.img"
	vm_wait ready
	vm_wait_ssh
	vm_ssh 'cat >/var/tmp/demo.tar' <"$OUT/demo.tar"
	vm_ssh 'berth load /var/tmp/demo.tar >/dev/null'
	run vm_ssh 'berth run -d --name web -p 8080:80 demo:latest -c "while :; do echo hello from web | nc -l -p 80; done"'
	assert_success
	# QEMU forwards the host's $port to the guest's 8080, which nf_tables
	# sends on to the container's port 80 on the bridge
	local got= i
	for i in $(seq 30); do
		got=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -1 <&3" 2>/dev/null) && [ -n "$got" ] && break
		sleep 1
	done
	assert_equal "$got" 'hello from web'
	run vm_ssh 'berth port web'
	assert_output --partial '80/tcp -> 0.0.0.0:8080'
}

@test "make run: the demo seed provisions the production image; the web container answers curl, a key in ~/.ssh logs in" {
	local home=$BATS_TEST_TMPDIR/home
	mkdir -p "$home/.ssh"
	cp "$VM_KEY.pub" "$home/.ssh/id_ed25519.pub"
	VM_LOG=$BATS_TEST_TMPDIR/serial.log
	VM_SSH_PORT=$(vm_free_port)
	local http
	http=$(vm_free_port)
	VM_MARK=0
	: >"$VM_LOG"
	rm -rf "$OUT/run-test"
	run env HOME="$home" VM_SERIAL="$VM_LOG" VM_DAEMON=1 VM_SSH_PORT="$VM_SSH_PORT" RUN_HTTP_PORT="$http" \
		RUN_DIR="$OUT/run-test" "$TOP/tests/lib/run-vm.sh"
	assert_success
	assert_line "run: $home/.ssh/id_ed25519.pub may log in once it is ready: ssh -p $VM_SSH_PORT root@127.0.0.1"
	assert_line "run: once it is ready: curl http://localhost:$http/"
	VM_DIR=$OUT/run-test
	VM_PID=$(cat "$VM_DIR/qemu.pid")
	vm_wait 'container demo started'
	vm_wait ready
	vm_wait_ssh
	run curl -sS --retry 10 --retry-delay 1 --retry-all-errors --max-time 10 "http://localhost:$http/"
	assert_success
	assert_output 'hello from the Berth demo container'
	run vm_ssh 'berth ps; berth logs demo'
	assert_line --regexp '^demo +demo:latest +running '
	assert_line 'hello from the Berth demo container'
	assert_line --partial 'served: GET / HTTP/1.1'
	# the image came from the seed, checked and loaded by provisioning
	grep -aq 'provision: datasource nocloud (instance-id berth-demo-1)' "$VM_LOG"
	grep -aq 'provision: berth.images: ok' "$VM_LOG"
	run vm_ssh 'hostname; berth images'
	assert_line --index 0 berth-demo
	assert_output --partial 'demo'
}
