#!/usr/bin/env bats
# The EC2 datasource in QEMU: the production image (no key of its own) on a
# machine whose SMBIOS says "Amazon EC2", provisioned over IMDSv2 by a
# stand-in server (tests/host/fixtures/provision/imds.py) at 169.254.169.254:80.
# QEMU's user network connects out from the host side, so QEMU and the server
# share a network namespace whose lo carries 169.254.169.254/32: the guest's
# connections to it reach the server. Nothing outside the namespace reaches
# the guest (no SSH): the serial console and the server's log are the proof.

setup() {
	load ../lib/common
	load ../lib/vm
	NS=berth-ec2-$$
	IMDS_PID=
	VM_PID=
}

teardown() {
	vm_stop
	if [ -n "$IMDS_PID" ]; then kill "$IMDS_PID" 2>/dev/null; fi
	if ip netns list | grep -qw "$NS"; then
		# only what this test started runs in there; nothing must outlive it
		ip netns pids "$NS" | xargs -r kill -9 2>/dev/null
		ip netns del "$NS"
	fi
	return 0
}

# ec2_boot IMAGE: vm_boot's steps, but QEMU runs in $NS (no SSH port) and
# its SMBIOS system information says EC2, as /sys/class/dmi/id/sys_vendor
ec2_boot() {
	VM_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vm.XXXXXX")
	VM_LOG=$VM_DIR/serial.log
	VM_MARK=0
	export VM_DIR VM_LOG VM_MARK
	qemu-img create -q -f qcow2 -b "$1" -F raw "$VM_DIR/disk.qcow2" 2G
	: >"$VM_LOG"
	ip netns exec "$NS" env VM_SSH_PORT= VM_SEED= VM_FWD= VM_SERIAL="$VM_LOG" VM_DAEMON=1 \
		"$TOP/tests/lib/qemu.sh" "$VM_DIR/disk.qcow2" \
		-smbios 'type=1,manufacturer=Amazon EC2,product=t3.micro'
	VM_PID=$(cat "$VM_DIR/qemu.pid")
	export VM_PID
}

@test "EC2 IMDSv2 from DMI detection: token first, every GET carries it; instance-id, hostname, key, user-data applied" {
	local T=$BATS_TEST_TMPDIR i
	ssh-keygen -q -t ed25519 -N '' -C ec2root@test -f "$T/root"
	ssh-keygen -q -t ed25519 -N '' -C alice@ec2 -f "$T/alice"
	cat >"$T/user-data" <<-UD
	#cloud-config
	users:
	  - name: alice
	    groups: wheel
	    ssh_authorized_keys: ["$(cat "$T/alice.pub")"]
	write_files:
	  - path: /etc/motd
	    content: provisioned from imds
	    permissions: 0644
	bootcmd:
	  - echo "ec2-bootcmd-ok \$INSTANCE_ID" >/dev/console
	runcmd:
	  - echo "ec2-runcmd hostname=\$(hostname)"
	  - echo "ec2-runcmd motd=\$(cat /etc/motd)"
	  - echo "ec2-runcmd alice=\$(id -u alice) \$(id -Gn alice)"
	  - echo "ec2-runcmd keys=\$(cut -d' ' -f3 /root/.ssh/authorized_keys) \$(cut -d' ' -f3 /home/alice/.ssh/authorized_keys) \$(stat -c %a:%U /home/alice/.ssh/authorized_keys)"
	UD
	jq -n --rawfile ud "$T/user-data" --arg key "$(cat "$T/root.pub")" '{
		"/latest/meta-data/instance-id": "i-0ec2a1b2c3d4e5f60",
		"/latest/meta-data/local-hostname": "ec2host",
		"/latest/meta-data/public-keys/0/openssh-key": $key,
		"/latest/user-data": $ud
	}' >"$T/imds.json"

	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" addr add 169.254.169.254/32 dev lo
	ip netns exec "$NS" python3 "$TOP/tests/host/fixtures/provision/imds.py" "$T/imds.log" \
		169.254.169.254 80 "$T/imds.json" >"$T/imds.port" 2>"$T/imds.err" 3>&- &
	IMDS_PID=$!
	for i in $(seq 50); do [ -s "$T/imds.port" ] && break; sleep 0.2; done
	run cat "$T/imds.port" "$T/imds.err"
	assert_output 80
	# the server refuses a GET without the token
	run ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' \
		http://169.254.169.254/latest/meta-data/instance-id
	assert_output 401

	ec2_boot "$OUT/berth.img"
	vm_wait 'provision done' 120
	vm_console >"$T/console"
	run cat "$T/console"
	refute_output --partial 'no session token'
	assert_line 'provision: datasource ec2 (instance-id i-0ec2a1b2c3d4e5f60)'
	assert_line 'ec2-bootcmd-ok i-0ec2a1b2c3d4e5f60'
	for i in user-data bootcmd write_files hostname users ssh runcmd; do
		assert_line "provision: $i: ok"
	done
	assert_line 'ec2-runcmd hostname=ec2host'
	assert_line 'ec2-runcmd motd=provisioned from imds'
	assert_line 'ec2-runcmd alice=1000 alice wheel'
	assert_line 'ec2-runcmd keys=ec2root@test alice@ec2 600:alice'
	refute_output --partial 'ssh-ed25519'
	# the server's view: our 401 probe, then the guest's PUT with the TTL
	# header and only GETs that carried the token it got
	run cat "$T/imds.log"
	assert_output - <<-'LOG'
	GET /latest/meta-data/instance-id no-token
	PUT /latest/api/token ttl
	GET /latest/meta-data/instance-id token
	GET /latest/meta-data/local-hostname token
	GET /latest/meta-data/public-keys/0/openssh-key token
	GET /latest/user-data token
	LOG
}
