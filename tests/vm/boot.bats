#!/usr/bin/env bats
# Boot in QEMU: UEFI through systemd-boot into a dm-verity read-only root,
# the data partition, the /etc overlay, shutdown, and bad roots.
# Image: out/test/berth.img (out/berth.img with a test SSH key in /var).

setup_file() {
	load ../lib/common
	[ -f "$OUT/test/berth.img" ] || { echo "out/test/berth.img is missing: make test-image" >&2; return 1; }
}

setup() {
	load ../lib/common
	load ../lib/vm
	VM_KEY=$OUT/test/id_ed25519
	IMG=$OUT/test/berth.img
}

teardown() { [ -n "${KEEP_VM_LOG:-}" ] && cp "$VM_LOG" "$KEEP_VM_LOG"; vm_stop; }

# timeline events of the last boot, in order, without timestamps
events() { tr -d '\r' <"$VM_LOG" | sed -nE 's/.*berth\[[0-9]+\.[0-9]{3}\]: //p'; }

@test "UEFI boot through systemd-boot reaches ready with every timeline line in order" {
	vm_boot "$IMG"
	vm_wait ready
	run events
	assert_line --index 0 'init start'
	assert_line --index 1 'root mounted'
	assert_line --index 2 'provision done'
	assert_line --index 3 'services started'
	assert_line --index 4 'ready'
	vm_wait_ssh
	run vm_ssh cat /run/berth/timeline
	assert_output --regexp '^berth\[[0-9]+\.[0-9]{3}\]: init start'
	assert_output --partial ': ready'
	nevents=${#lines[@]}
	# berth analyze: the summary, then one line per phase
	run vm_ssh berth analyze
	assert_success
	assert_line --index 0 --regexp '^boot: [0-9]+\.[0-9]{3}s to ready \(kernel [0-9.]+s \+ userspace [0-9.]+s\)$'
	assert_output --partial 'provision done'
	[ "${#lines[@]}" -eq $((nevents + 1)) ]
	# and as a picture: well-formed SVG, one bar per phase
	vm_ssh berth analyze --svg >"$BATS_TEST_TMPDIR/boot.svg"
	run python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(sum(1 for e in r.iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "phase"))' "$BATS_TEST_TMPDIR/boot.svg"
	assert_success
	assert_output "$nevents"
}

@test "the root is dm-verity, read-only, erofs, from slot a" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'grep " / " /proc/mounts'
	assert_output --regexp '^/dev/mapper/root / erofs ro'
	run vm_ssh 'cat /sys/block/dm-0/dm/name /sys/block/dm-0/dm/uuid /run/berth/slot /run/berth/root-device'
	assert_output $'root\nBERTH-VERITY-root\na\n/dev/vda2'
	run vm_ssh 'touch /usr/berth-write-test'
	assert_failure
	assert_output --partial 'Read-only file system'
	run vm_ssh '. /etc/os-release; echo "$ID $VERSION_ID $IMAGE_VERSION"'
	assert_output "berth $(cat "$TOP/VERSION") $(cat "$TOP/VERSION")"
}

@test "/var is the data partition, grown to the end of the disk on first boot" {
	vm_boot "$IMG" 3G
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'grep " /var " /proc/mounts'
	assert_output --regexp '^/dev/vda4 /var ext4 rw'
	# 3 GiB disk: esp 64 + two 256 MiB slots leave about 2.4 GiB for /var
	run vm_ssh "df -k /var | awk 'NR == 2 { print \$2 }'"
	[ "$output" -gt 2200000 ]
	run vm_ssh 'cat /sys/block/vda/vda4/size /sys/block/vda/size'
	part=${lines[0]} disk=${lines[1]}
	# the partition ends where the backup GPT begins (33 sectors before the end)
	run vm_ssh 'cat /sys/block/vda/vda4/start'
	[ $((output + part)) -eq $((disk - 33)) ]
	run vm_ssh 'touch /var/berth-write-test && echo ok'
	assert_output ok
}

@test "/etc is an overlay on /var: a change survives a reboot, /usr does not change" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'grep " /etc " /proc/mounts'
	assert_output --regexp '^overlay /etc overlay rw'
	vm_ssh 'echo persisted >/etc/berth-test && sync'
	vm_mark
	vm_ssh reboot
	vm_wait 'shutdown done' 60
	# QEMU resets in place: the second boot follows on the same console
	vm_wait 'init start'
	vm_wait ready
	vm_wait_ssh
	run vm_ssh cat /etc/berth-test
	assert_output persisted
	run vm_ssh 'ls /var/lib/berth/etc/upper/berth-test'
	assert_success
}

@test "the ACPI power button powers off cleanly: services stopped, /var unmounted" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	vm_monitor system_powerdown
	vm_wait 'shutdown done' 60
	vm_wait_exit 60
	run events
	assert_line 'shutdown start'
	assert_line 'shutdown done'
	# a clean unmount: the next boot's ext4 needs no journal recovery
	vm_restart
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'dmesg | grep -c "recovery complete"'
	assert_output 0
}

@test "poweroff and halt commands reach PID 1 (reboot: the /etc test)" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	vm_ssh halt
	vm_wait 'shutdown done' 60
	run timeout 30 bash -c "until grep -q 'reboot: System halted' '$VM_LOG'; do sleep 0.2; done"
	assert_success
	vm_cut
	vm_restart
	vm_wait ready
	vm_wait_ssh
	vm_ssh poweroff
	vm_wait 'shutdown done' 60
	vm_wait_exit 60
	run grep -c 'reboot: Power down' "$VM_LOG"
	assert_output 1
}

@test "stage-1 hooks run in order before services, with their output on the console" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	vm_ssh 'printf "#!/bin/sh\necho hook-one ran\n" >/etc/berth/stage1.d/10-one &&
		printf "#!/bin/sh\necho hook-two ran; exit 3\n" >/etc/berth/stage1.d/20-two &&
		chmod +x /etc/berth/stage1.d/*; sync'
	vm_mark
	vm_ssh reboot
	vm_wait 'shutdown done' 60
	vm_wait 'init start'
	vm_wait ready
	vm_console | grep -E 'hook-one ran|hook-two ran|20-two|provision done|services started' >"$BATS_TEST_TMPDIR/hooks"
	run cat "$BATS_TEST_TMPDIR/hooks"
	assert_line --index 0 --partial 'hook-one ran'
	assert_line --index 1 --partial 'hook-two ran'
	assert_line --index 2 --regexp '20-two.*(status|code) 3'
	assert_line --index 3 --partial 'provision done'
	assert_line --index 4 --partial 'services started'
}

@test "the box runs its services: DHCP, syslog, SSH; root locked, seed saved, cgroup2, shared /" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'ip -4 addr show eth0'
	assert_output --partial 'inet 10.0.2.15/24'
	run vm_ssh 'ip route'
	assert_output --partial 'default via 10.0.2.2'
	run vm_ssh 'sv status /etc/service/syslogd /etc/service/sshd /etc/service/getty'
	assert_line --regexp '^run: /etc/service/syslogd'
	assert_line --regexp '^run: /etc/service/sshd'
	assert_line --regexp '^run: /etc/service/getty'
	run vm_ssh 'logger berth-syslog-test; sleep 1; grep -c berth-syslog-test /var/log/messages'
	assert_output 1
	run vm_ssh 'grep ^root: /etc/shadow'
	assert_output --regexp '^root:!'
	run vm_ssh 'stat -c "%a %s" /var/lib/berth/random-seed'
	assert_output '600 512'
	run vm_ssh 'grep " /sys/fs/cgroup " /proc/mounts; cat /sys/fs/cgroup/cgroup.subtree_control'
	assert_line --regexp '^cgroup2 /sys/fs/cgroup cgroup2'
	assert_output --partial 'memory'
	assert_output --partial 'pids'
	run vm_ssh "awk '\$5 == \"/\"' /proc/self/mountinfo"
	assert_output --partial 'shared:'
	run vm_ssh 'hostname; ls -ld /var/lib/dropbear'
	assert_line berth
	grep -q 'berth login:' "$VM_LOG"
}

@test "the production image: login prompt, no SSH without a provisioned key" {
	vm_boot "$OUT/berth.img"
	vm_wait ready
	run timeout 30 bash -c "until grep -q 'berth login:' '$VM_LOG'; do sleep 0.2; done"
	assert_success
	VM_KEY=$OUT/test/id_ed25519
	sleep 3
	run vm_ssh true
	assert_failure
}

@test "a direct kernel boot (-kernel -initrd -append) reaches ready" {
	VM_BOOT=direct vm_boot "$IMG"
	vm_wait ready
	run events
	assert_line --index 0 'init start'
	assert_line 'root mounted'
}

@test "a tampered root hash tree is refused: no root verifies, the boot fails and reboots" {
	vm_boot "$IMG"
	vm_cut
	# flip the top-level hash block of slot a: it sits right after the verity
	# superblock; slot a starts at 1 MiB + 64 MiB
	. "$OUT/root.env"
	levels_top=$((65 * 1024 * 1024 + VERITY_HASH_OFFSET + 4096))
	qemu-io -f qcow2 -c "write -P 0x5a $levels_top 512" "$VM_DIR/disk.qcow2" >/dev/null
	vm_restart
	vm_wait 'init start' 120
	run timeout 60 bash -c "until grep -q 'no root slot verifies' '$VM_LOG'; do sleep 0.5; done"
	assert_success
	run grep -a 'berth-root-a' "$VM_LOG"
	assert_output --partial 'berth-root-a'
	refute_output --partial 'root mounted'
	# a fatal boot error reboots after a delay, so the boot loader can fall back
	run timeout 60 bash -c "until [ \$(grep -c 'init start' '$VM_LOG') -ge 2 ]; do sleep 0.5; done"
	assert_success
}

@test "with berth.debug a fatal boot error stops on the console instead of rebooting" {
	bad=$(sed -E 's/roothash=[0-9a-f]+/roothash=0000000000000000000000000000000000000000000000000000000000000000/' "$OUT/cmdline.txt")
	VM_BOOT=direct VM_APPEND="$bad berth.debug" vm_boot "$IMG"
	vm_wait 'init start'
	run timeout 60 bash -c "until grep -q 'berth.debug: halted' '$VM_LOG'; do sleep 0.2; done"
	assert_success
	grep -q 'no root slot verifies against roothash 0000000000000000' "$VM_LOG"
	# no reboot: still one boot 15 s later (without berth.debug it reboots after 10 s)
	sleep 15
	run grep -c 'init start' "$VM_LOG"
	assert_output 1
}

@test "without its partitions the initramfs names the block devices it saw" {
	# the "flashed" disk: a raw copy whose data partition lost its label
	vm_boot "$IMG"
	vm_cut
	qemu-img convert -O raw "$VM_DIR/disk.qcow2" "$VM_DIR/disk.raw"
	sfdisk -q --part-label "$VM_DIR/disk.raw" 4 not-berth-data
	qemu-img convert -O qcow2 "$VM_DIR/disk.raw" "$VM_DIR/disk.qcow2"
	rm "$VM_DIR/disk.raw"
	VM_BOOT=direct VM_APPEND="$(cat "$OUT/cmdline.txt") berth.root_timeout=2" vm_restart
	vm_wait 'init start'
	run timeout 60 bash -c "until grep -q 'block devices seen' '$VM_LOG'; do sleep 0.2; done"
	assert_success
	run grep -a 'block devices seen' "$VM_LOG"
	assert_output --partial 'after 2 s'
	assert_output --partial 'not-berth-data'
	assert_output --partial 'vda2'
}

@test "containers can pivot_root on Berth's root: crun runs a bundle" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'set -e
		d=/var/tmp/bundle; mkdir -p $d/rootfs/bin; cp /bin/busybox $d/rootfs/bin/
		cd $d; crun spec
		sed -i -e "s/\"terminal\": true/\"terminal\": false/" -e "s|^\([[:space:]]*\)\"sh\"$|\1\"/bin/busybox\", \"sh\", \"-c\", \"echo hello-from-crun; /bin/busybox hostname\"|" config.json
		crun run berth-test'
	assert_success
	assert_line 'hello-from-crun'
	assert_line 'crun'
}
