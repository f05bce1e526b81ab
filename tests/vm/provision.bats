#!/usr/bin/env bats
# Provisioning in QEMU: the production image (no key of its own) and a real
# NoCloud seed made by cloud-localds, attached as a second disk.

setup_file() {
	load ../lib/common
	S=$BATS_FILE_TMPDIR
	ssh-keygen -q -t ed25519 -N '' -C alice@test -f "$S/alice"
	cat >"$S/user-data" <<UD
#cloud-config
hostname: web1
fqdn: web1.example.test
users:
  - name: alice
    groups: wheel
    shell: /bin/sh
    ssh_authorized_keys:
      - $(cat "$S/alice.pub")
  - name: "Bad Name"
write_files:
  - path: /etc/motd
    content: provisioned by berth
    permissions: 0644
bootcmd:
  - echo boot >> /var/tmp/bootcmd-count
runcmd:
  - echo run >> /var/tmp/runcmd-count
ntp:
  servers: [10.0.2.2]
no_such_module: 1
UD
	printf 'instance-id: i-0001\nlocal-hostname: web1\n' >"$S/meta-data"
	cloud-localds "$S/seed.img" "$S/user-data" "$S/meta-data"
}

setup() {
	load ../lib/common
	load ../lib/vm
	VM_KEY=$BATS_FILE_TMPDIR/alice
}

teardown() { vm_stop; }

ssh_alice() {
	ssh -q -i "$VM_KEY" -p "$VM_SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 alice@127.0.0.1 "$@"
}

@test "a NoCloud seed provisions the production image: user and key, hostname, files, runcmd, ntp" {
	export VM_SEED=$BATS_FILE_TMPDIR/seed.img
	vm_boot "$OUT/berth.img"
	vm_wait ready
	vm_console >"$BATS_TEST_TMPDIR/console"
	run cat "$BATS_TEST_TMPDIR/console"
	assert_line 'provision: datasource nocloud (instance-id i-0001)'
	assert_line --regexp '^provision: user-data:[0-9]+: users\[1\]\.name: .*Bad Name.*not a valid user name'
	assert_line --partial 'no_such_module'
	refute_output --partial 'ssh-ed25519'
	for i in $(seq 60); do ssh_alice true 2>/dev/null && break; sleep 1; done
	run ssh_alice 'id; hostname; stat -c "%a %U" /etc/motd; cat /etc/motd; echo; cat /var/tmp/runcmd-count /var/tmp/bootcmd-count; stat -c "%a %U" ~/.ssh ~/.ssh/authorized_keys; grep 127.0.1.1 /etc/hosts; grep -v "^#" /etc/ntp.servers'
	assert_success
	assert_line --regexp '^uid=1000\(alice\) gid=1000\(alice\) groups=.*10\(wheel\)'
	assert_line web1
	assert_line '644 root'
	assert_line 'provisioned by berth'
	assert_line run
	assert_line boot
	assert_line '700 alice'
	assert_line '600 alice'
	assert_line --regexp '^127\.0\.1\.1[[:space:]]+web1\.example\.test web1$'
	assert_line 10.0.2.2
	# berth status: the datasource, each module, the error of the bad user
	run ssh_alice berth status
	assert_failure 1
	assert_line 'datasource   nocloud'
	assert_line 'instance-id  i-0001'
	assert_line --regexp '^  users +error$'
	assert_line --regexp '^      user-data:[0-9]+: users\[1\]\.name: .*not a valid user name'
	assert_line --regexp '^  write_files +ok$'
	refute_output --partial 'ssh-ed25519'
	# the same instance again: bootcmd runs every boot, runcmd once per instance
	vm_monitor system_powerdown
	vm_wait 'shutdown done' 60
	vm_wait_exit 60
	vm_restart
	vm_wait ready
	for i in $(seq 60); do ssh_alice true 2>/dev/null && break; sleep 1; done
	run ssh_alice 'wc -l < /var/tmp/runcmd-count; wc -l < /var/tmp/bootcmd-count'
	assert_line --index 0 1
	assert_line --index 1 2
}

@test "a seed with images, a static network-config and a sudo user: the container runs on the first boot" {
	local S=$BATS_TEST_TMPDIR seed=$BATS_TEST_TMPDIR/seed
	mkdir -p "$seed"
	ssh-keygen -q -t ed25519 -N '' -C bob@test -f "$S/bob"
	cp "$OUT/demo.tar" "$seed/demo.tar"
	cat >"$seed/user-data" <<-UD
	#cloud-config
	users:
	  - name: bob
	    sudo: ALL=(ALL) NOPASSWD:ALL
	    ssh_authorized_keys: ["$(cat "$S/bob.pub")"]
	berth:
	  images:
	    - path: demo.tar
	      sha256: $(sha256sum <"$OUT/demo.tar" | cut -c1-64)
	  containers:
	    demo: {image: "demo:latest", restart: always}
	UD
	printf 'instance-id: i-0002\n' >"$seed/meta-data"
	# QEMU's user network, set statically on the NIC renamed by its MAC
	cat >"$seed/network-config" <<-NC
	version: 2
	ethernets:
	  lan:
	    match: {macaddress: "52:54:00:12:34:56"}
	    set-name: lan0
	    mtu: 1400
	    addresses: [10.0.2.15/24]
	    gateway4: 10.0.2.2
	    nameservers: {addresses: [10.0.2.3]}
	NC
	genisoimage -quiet -o "$S/seed.iso" -V cidata -J -r "$seed"
	export VM_SEED=$S/seed.iso
	VM_KEY=$S/bob
	vm_boot "$OUT/berth.img"
	vm_wait 'container demo started'
	vm_wait ready
	vm_console | grep -q 'provision: berth.images\[0\]: demo.tar: Loaded image: demo:latest'
	local i
	for i in $(seq 60); do vm_ssh_as bob true 2>/dev/null && break; sleep 1; done
	run vm_ssh_as bob 'sudo id -u; doas -n id -un; sudo /sbin/ip -o -4 addr show lan0; cat /sys/class/net/lan0/mtu; sudo /sbin/ip route show default; grep nameserver /etc/resolv.conf; sudo berth ps'
	assert_success
	assert_line --index 0 0
	assert_line --index 1 root
	assert_line --regexp '^[0-9]+: lan0 +inet 10\.0\.2\.15/24 '
	assert_line 1400
	assert_line --regexp '^default via 10\.0\.2\.2 dev lan0'
	assert_line 'nameserver 10.0.2.3'
	assert_line --regexp '^demo +demo:latest +running '
}

@test "an OpenStack config drive (config-2) provisions a user and the hostname" {
	local S=$BATS_TEST_TMPDIR d=$BATS_TEST_TMPDIR/drive
	mkdir -p "$d/openstack/latest"
	ssh-keygen -q -t ed25519 -N '' -C carol@test -f "$S/carol"
	printf '{"uuid": "cd-0003", "hostname": "db1", "name": "db1"}\n' >"$d/openstack/latest/meta_data.json"
	cat >"$d/openstack/latest/user_data" <<-UD
	#cloud-config
	users:
	  - name: carol
	    ssh_authorized_keys: ["$(cat "$S/carol.pub")"]
	UD
	genisoimage -quiet -o "$S/drive.iso" -V config-2 -J -r "$d"
	export VM_SEED=$S/drive.iso
	VM_KEY=$S/carol
	vm_boot "$OUT/berth.img"
	vm_wait ready
	vm_console | grep -q 'provision: datasource configdrive (instance-id cd-0003)'
	local i
	for i in $(seq 60); do vm_ssh_as carol true 2>/dev/null && break; sleep 1; done
	run vm_ssh_as carol 'id -un; hostname'
	assert_success
	assert_output $'carol\ndb1'
}

@test "a vfat seed made by cloud-localds -f vfat provisions too" {
	local S=$BATS_TEST_TMPDIR
	printf '#cloud-config\nhostname: vfat1\nbootcmd:\n  - echo vfat-seed-bootcmd > /dev/console\n' >"$S/user-data"
	printf 'instance-id: i-vfat\n' >"$S/meta-data"
	cloud-localds -f vfat "$S/seed.img" "$S/user-data" "$S/meta-data"
	export VM_SEED=$S/seed.img
	vm_boot "$OUT/berth.img"
	vm_wait ready
	run vm_console
	assert_line 'provision: datasource nocloud (instance-id i-vfat)'
	assert_line --partial 'vfat-seed-bootcmd'
	# the hostname from user-data on the login prompt
	run timeout 30 bash -c "until grep -q 'vfat1 login:' '$VM_LOG'; do sleep 0.2; done"
	assert_success
}
