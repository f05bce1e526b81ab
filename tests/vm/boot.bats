#!/usr/bin/env bats
# Boot in QEMU: UEFI through systemd-boot into a dm-verity read-only root,
# the data partition, the /etc overlay, shutdown, and bad roots.
# Image: out/test/berth.img (out/berth.img with a test SSH key in /var).

setup() {
	load ../lib/common
	load ../lib/vm
	vm_test_image
}

teardown() { [ -n "${KEEP_VM_LOG:-}" ] && cp "$VM_LOG" "$KEEP_VM_LOG"; vm_stop; }

# timeline events of the last boot, in order, without timestamps
events() { tr -d '\r' <"$VM_LOG" | sed -nE 's/.*berth\[[0-9]+\.[0-9]{3}\]: //p'; }

# runsvdir_replaced OLD: a runsvdir runs in the guest, and its pid is not OLD
runsvdir_replaced() {
	local p
	p=$(vm_ssh 'pidof runsvdir') || return 1
	[ -n "$p" ] && [ "$p" != "$1" ]
}

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
	# what the image's /var held is still there (root's key)
	run vm_ssh 'cat /var/roothome/.ssh/authorized_keys'
	assert_output "$(cat "$VM_KEY.pub")"
}

@test "/etc is an overlay on /var: a change survives a reboot, /usr does not change" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'grep " /etc " /proc/mounts'
	assert_output --regexp '^overlay /etc overlay rw'
	vm_ssh 'echo persisted >/etc/berth-test && sync'
	vm_reboot
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
	start=$SECONDS
	vm_wait 'shutdown done' 30
	vm_wait_exit 30
	[ $((SECONDS - start)) -le 30 ]
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
	vm_reboot
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
	vm_ssh 'logger berth-syslog-test'
	wait_until 10 vm_ssh 'grep -q berth-syslog-test /var/log/messages'
	run vm_ssh 'grep -c berth-syslog-test /var/log/messages'
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
	# an absence: the console shows nothing that says sshd's run script is
	# done (it logs to /var/log/sshd), so give it the time it would take
	sleep 3 # lint: sleep-ok no event on the console once sshd would be up
	run vm_ssh true
	assert_failure
	# not a refused key: no SSH server at all (QEMU accepts, nobody answers)
	run timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$VM_SSH_PORT; head -c 4 <&3"
	refute_output --partial SSH-
	# the layout of DESIGN.md section 4, with the Discoverable Partitions types
	run sh -c "sfdisk -J '$OUT/berth.img' | jq -r '.partitiontable.label, (.partitiontable.partitions[] | .name + \" \" + .type)'"
	assert_output "gpt
esp C12A7328-F81F-11D2-BA4B-00A0C93EC93B
berth-root-a 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
berth-root-b 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
berth-data 4D21B016-B534-45C2-A9FB-5C16E091FD2D"
}

@test "a direct kernel boot (-kernel -initrd -append) of out/berth.qcow2 reaches ready" {
	VM_BOOT=direct vm_boot "$OUT/berth.qcow2"
	vm_wait ready
	run events
	assert_line --index 0 'init start'
	assert_line 'root mounted'
}

@test "a tampered root hash tree is refused: no root verifies, the boot stops and powers off (no loop)" {
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
	run events
	refute_line 'root mounted'
	# nothing to fall back to: one clear stop and a power-off, not a loop
	run vm_wait_exit 60
	assert_success
	run grep -c 'berth\[[0-9.]*\]: init start' "$VM_LOG"
	assert_output 1
	run grep -a "EFI/Linux/berth-.*.efi's root does not verify: no other good Berth to fall back to; powering off" "$VM_LOG"
	assert_success
}

@test "one flipped byte in a data block of the root stops the boot at verity, before any service" {
	vm_disk "$IMG"
	. "$OUT/root.env"
	# a byte in the middle of the filesystem, in a block nothing reads early
	block=$((VERITY_DATA_BLOCKS / 2))
	at=$(($(vm_part_offset "$IMG" 2) + block * 4096 + 1234))
	byte=$(dd if="$IMG" bs=1 skip="$at" count=1 status=none | od -An -tu1 | tr -d ' ')
	qemu-io -f qcow2 -c "write -P $((byte ^ 0xff)) $at 1" "$VM_DIR/disk.qcow2" >/dev/null
	vm_start
	vm_wait 'init start' 120
	run timeout 60 bash -c "until grep -q 'no root slot verifies' '$VM_LOG'; do sleep 0.5; done"
	assert_success
	run grep -a 'berth-root-a (/dev/vda2): skipped' "$VM_LOG"
	assert_output --partial "data block $block (bytes $((block * 4096))-$((block * 4096 + 4095))) fails verification against the hash tree"
	run events
	refute_line 'root mounted'
	refute_line 'services started'
	# the only UKI is good (no counter): a reboot would pick it again forever
	run vm_wait_exit 60
	assert_success
	run grep -c 'berth\[[0-9.]*\]: init start' "$VM_LOG"
	assert_output 1
	run grep -a 'powering off rather than boot-loop' "$VM_LOG"
	assert_success
}

@test "with berth.debug a fatal boot error stops on the console instead of rebooting" {
	bad=$(sed -E 's/roothash=[0-9a-f]+/roothash=0000000000000000000000000000000000000000000000000000000000000000/' "$OUT/cmdline")
	VM_BOOT=direct VM_APPEND="$bad berth.debug" vm_boot "$IMG"
	vm_wait 'init start'
	run timeout 60 bash -c "until grep -q 'berth.debug: halted' '$VM_LOG'; do sleep 0.2; done"
	assert_success
	grep -q 'no root slot verifies against roothash 0000000000000000' "$VM_LOG"
	# no reboot: still one boot 15 s later (without berth.debug it reboots
	# after 10 s); a halted guest sends nothing that could be waited for
	sleep 15 # lint: sleep-ok an absence: the reboot would come after 10 s
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
	VM_BOOT=direct VM_APPEND="$(cat "$OUT/cmdline") berth.root_timeout=2" vm_restart
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

@test "PID 1 in the guest: a killed runsvdir comes back, 1000 orphans are reaped, no signal kills it" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	old=$(vm_ssh 'pidof runsvdir')
	[ -n "$old" ]
	vm_ssh 'kill -9 $(pidof runsvdir)'
	wait_until 10 runsvdir_replaced "$old"
	grep -aq 'init: runsvdir /etc/service killed by signal 9' "$VM_LOG"
	wait_until 10 vm_ssh 'sv status /etc/service/sshd | grep -q "^run: /etc/service/sshd"'
	# 1000 orphans: each ( sleep 0.01 & ) is re-parented to PID 1, its child
	# until reaped: wait for the last one to go, then look for zombies
	vm_ssh 'for i in $(seq 1000); do ( sleep 0.01 & ); done'
	wait_until 30 vm_ssh '! for s in /proc/[0-9]*/stat; do cut -d" " -f2,4 "$s"; done 2>/dev/null | grep -q "^(sleep) 1$"'
	run vm_ssh 'for s in /proc/[0-9]*/stat; do cut -d" " -f3,4 "$s"; done 2>/dev/null | grep -c "^Z 1$"'
	assert_output 0
	# every signal that does not ask for a shutdown, KILL and STOP included;
	# then runsvdir dies: PID 1 reads every signal already sent before it
	# starts the next runsvdir, a second later, so that one says all were
	# handled
	vm_ssh 'for n in 1 3 4 5 6 7 8 9 11 13 14 16 17 18 19 20 21 22 23 24 25 26 27 28 29 31 $(seq 34 64); do kill -s $n 1; done'
	old=$(vm_ssh 'pidof runsvdir')
	vm_ssh 'kill -9 $(pidof runsvdir)'
	wait_until 10 runsvdir_replaced "$old"
	run vm_ssh 'cut -d" " -f3 /proc/1/stat; echo alive'
	assert_line --index 0 --regexp '^[SR]$'
	assert_line --index 1 alive
	run events
	refute_line 'shutdown start'
}

@test "a data filesystem the kernel found damaged is repaired by e2fsck on the next boot, data kept" {
	vm_boot "$IMG"
	vm_wait ready
	vm_wait_ssh
	vm_ssh 'mkdir /var/damaged && for i in 1 2 3; do echo $i >/var/damaged/f$i; done; echo kept >/var/keep; sync'
	vm_ssh poweroff
	vm_wait_exit 60
	# damage the directory's only block on the (grown) data partition
	qemu-img convert -O raw "$VM_DIR/disk.qcow2" "$VM_DIR/disk.raw"
	data=$(vm_part_offset "$VM_DIR/disk.raw" 4)
	fs="$VM_DIR/disk.raw?offset=$data"
	bsize=$(debugfs -R stats "$fs" 2>/dev/null | awk '/^Block size:/ { print $3 }')
	blk=$(debugfs -R 'bmap /damaged 0' "$fs" 2>/dev/null)
	rm "$VM_DIR/disk.raw"
	[ "$bsize" -gt 0 ]
	[ "$blk" -gt 0 ]
	qemu-io -f qcow2 -c "write -P 0xff $((data + blk * bsize)) $bsize" "$VM_DIR/disk.qcow2" >/dev/null
	vm_restart
	vm_wait ready
	vm_wait_ssh
	# the kernel meets the damage and records it in the superblock
	run vm_ssh 'ls /var/damaged'
	refute_output --partial f1
	run vm_ssh 'dmesg | grep -c "EXT4-fs error"'
	[ "$output" -ge 1 ]
	vm_reboot
	run vm_console
	assert_line 'initramfs: berth-data (/dev/vda4) records filesystem errors: e2fsck -f -y, output in /run/berth/fsck.log'
	assert_line 'initramfs: berth-data: e2fsck fixed the errors (exit 1)'
	vm_wait_ssh
	run vm_ssh 'cat /var/keep; dmesg | grep -c "EXT4-fs error"; grep -c "Pass 5" /run/berth/fsck.log'
	assert_output "kept
0
1"
	# and the next boot finds it clean: no e2fsck
	vm_reboot
	run vm_console
	refute_output --partial 'e2fsck'
}

@test "an empty data partition is formatted (a factory reset); one holding something else is never touched" {
	vm_disk "$IMG"
	data=$(vm_part_offset "$IMG" 4)
	qemu-io -f qcow2 -c "write -z $data 128M" "$VM_DIR/disk.qcow2" >/dev/null
	vm_start
	vm_wait ready
	run vm_console
	assert_line 'initramfs: berth-data (/dev/vda4) holds no filesystem: formatting it ext4, a first boot'
	run events
	assert_line 'provision done'
	vm_cut
	# something that is not ext4 at the start: refused, left as it is, and the boot reboots
	qemu-io -f qcow2 -c "write -P 0x58 $data 4096" "$VM_DIR/disk.qcow2" >/dev/null
	vm_restart
	vm_wait 'init start'
	run timeout 60 bash -c "until grep -q 'not formatting it' '$VM_LOG'; do sleep 0.5; done"
	assert_success
	run grep -a 'not formatting it' "$VM_LOG"
	assert_output --partial '/dev/vda4 (berth-data) holds no ext4 but is not empty (byte 0 is not zero); not formatting it: zero it to start afresh'
	run timeout 30 bash -c "until grep -q 'rebooting in' '$VM_LOG'; do sleep 0.5; done"
	assert_success
	vm_cut
	run qemu-io -f qcow2 -c "read -P 0x58 $data 4096" "$VM_DIR/disk.qcow2"
	assert_success
	refute_output --partial 'Pattern verification failed'
}

@test "a full /var is named on the console and the boot still reaches ready" {
	# the disk as the image has it: /var stays at 128 MiB
	vm_boot "$IMG" "$(stat -c %s "$IMG")"
	vm_wait ready
	vm_wait_ssh
	run vm_ssh 'dd if=/dev/zero of=/var/fill bs=1M 2>&1; sync; df -k /var | awk "NR == 2 { print \$4 }"'
	assert_line --partial 'No space left on device'
	assert_equal "${lines[${#lines[@]} - 1]}" 0
	vm_reboot
	run vm_console
	assert_line --regexp '^init: /var is full: [0-9]+ KiB free of [0-9]+ MiB; state, logs and containers cannot be written until space is freed'
	vm_wait_ssh
	run vm_ssh 'rm /var/fill && echo freed'
	assert_output freed
}
