#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2034 # guest commands in single quotes; VM_KEY is read by vm_ssh
# A/B updates in QEMU with real reboots: `berth update apply` writes the
# inactive slot and stages a trial UKI, systemd-boot counts the tries, the
# boot check blesses a healthy boot or marks it bad, and every failure ends on
# the old slot. A "cut" is kill -9 of QEMU. The bundles of other versions come
# from tests/lib/update-images.sh (signed with the key the image trusts).

setup_file() {
	load ../lib/common
	"$TOP/tests/lib/update-images.sh" >/dev/null 2>&1
}

setup() {
	load ../lib/common
	load ../lib/vm
	VM_KEY=$OUT/test/id_ed25519
	U=$OUT/test/updates
	V1=$(cat "$TOP/VERSION")
	# a cut keeps what the guest flushed, as on a real disk
	export VM_CACHE=writeback
}

teardown() { vm_stop; }

# booted: "VERSION SLOT"
booted() { vm_ssh 'echo "$(sed -n "s/^VERSION_ID=//p" /etc/os-release) $(cat /run/berth/slot)"'; }

# esp: the UKIs on the ESP, one line (QEMU's virtio disk: /dev/vda1 is the ESP)
esp() {
	vm_ssh 'd=$(mktemp -d) && mount -o ro -t vfat /dev/vda1 "$d" && ls "$d/EFI/Linux" | tr "\n" " "; umount "$d"; rmdir "$d"'
}

# send NAME: copy out/test/updates/berth-NAME.bundle to /var/tmp/u.bundle
# (synced: the power cut tests must not lose it)
send() { vm_ssh 'cat >/var/tmp/u.bundle && sync' <"$U/berth-$1.bundle"; }

# reboot_wait EVENT [TIMEOUT]: reboot the guest and wait for EVENT on the new
# boot (300 s)
reboot_wait() {
	vm_mark
	vm_ssh reboot || true
	vm_wait "$1" "${2:-300}"
}

# reboot_to_v1 [TIMEOUT]: reboot the guest and end up on v1 in slot a, ready
# and answering (600 s: the trials of a bad slot take boots of their own)
reboot_to_v1() {
	reboot_wait ready "${1:-600}"
	vm_wait_ssh
	run booted
	assert_output "$V1 a"
}

boot_v1() {
	vm_boot "$OUT/test/berth.img"
	vm_wait ready
	vm_wait_ssh
}

# apply_cut PAUSE: apply u.bundle, stopping at PAUSE (root:PCT, staged,
# activated), then cut the power there and boot again
apply_cut() {
	local log=$BATS_TEST_TMPDIR/apply.log i=0
	: >"$log"
	vm_ssh "BERTH_UPDATE_PAUSE=$1 berth update apply /var/tmp/u.bundle" >"$log" 2>&1 &
	until grep -q 'update: paused at' "$log"; do
		i=$((i + 1))
		if [ "$i" -gt 600 ]; then
			cat "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	vm_cut
	wait || true
	vm_restart
	vm_wait ready 300
	vm_wait_ssh
}

@test "v1 to v2: apply, reboot into the trial, blessed; /var and the containers kept" {
	boot_v1
	vm_ssh 'cat >/var/tmp/demo.tar' <"$OUT/demo.tar"
	vm_ssh 'berth load /var/tmp/demo.tar >/dev/null && berth run -d --name demo --restart always demo:latest >/dev/null'
	vm_ssh 'echo kept >/var/lib/mine'
	send 0.2.0
	run vm_ssh 'berth update apply /var/tmp/u.bundle'
	assert_success
	assert_output --partial 'update: Berth 0.2.0 installed in slot b'
	run esp
	assert_output "berth-$V1.efi berth-0.2.0+3-0.efi "
	run vm_ssh 'berth update status'
	assert_output --partial 'slot b'
	reboot_wait 'boot blessed'
	vm_console | grep -q 'berth\[[0-9.]*\]: container demo started$'
	# the blessing is on the disk the moment it is announced: cut the power
	vm_cut
	vm_restart
	vm_wait ready
	vm_wait_ssh
	run booted
	assert_output '0.2.0 b'
	run esp
	assert_output "berth-$V1.efi berth-0.2.0.efi "
	run vm_ssh 'cat /var/lib/mine; berth ps'
	assert_line kept
	assert_line --regexp '^demo +demo:latest +running '
	# and back: rollback marks this one bad, the next boot is the old slot
	run vm_ssh 'berth update rollback'
	assert_success
	assert_output --partial "next boot: slot a, Berth $V1"
	reboot_to_v1 300
	run esp
	assert_output --regexp "^berth-$V1.efi berth-0.2.0\+0-[0-9]+.efi \$"
}

@test "refused before writing: bad signature, tampered, truncated, wrong key, downgrade, same version" {
	boot_v1
	local t=$BATS_TEST_TMPDIR before
	before=$(vm_ssh 'sha256sum </dev/vda3')
	# bad signature: the manifest changed after signing (min_version lowered)
	mkdir "$t/s"
	tar xf "$U/berth-0.2.0.bundle" -C "$t/s"
	sed -i 's/"min_version": *"[^"]*"/"min_version": "0.0.1"/' "$t/s/manifest.json"
	tar --format=ustar -cf "$t/sig.bundle" -C "$t/s" manifest.json manifest.json.minisig berth.efi root.img
	# tampered: one byte of the root image
	cp "$U/berth-0.2.0.bundle" "$t/tampered.bundle"
	size=$(stat -c %s "$t/tampered.bundle")
	printf X | dd of="$t/tampered.bundle" bs=1 seek=$((size - 12000)) conv=notrunc status=none
	# truncated download
	head -c $((size / 2)) "$U/berth-0.2.0.bundle" >"$t/truncated.bundle"
	# wrong key: the same manifest signed by another key
	mkdir "$t/w"
	tar xf "$U/berth-0.2.0.bundle" -C "$t/w"
	minisign -G -W -p "$t/other.pub" -s "$t/other.key" >/dev/null
	minisign -S -s "$t/other.key" -m "$t/w/manifest.json" -x "$t/w/manifest.json.minisig" -t 'berth 0.2.0' >/dev/null
	tar --format=ustar -cf "$t/wrongkey.bundle" -C "$t/w" manifest.json manifest.json.minisig berth.efi root.img
	for b in sig tampered truncated wrongkey; do
		vm_ssh "cat >/var/tmp/$b.bundle" <"$t/$b.bundle"
	done
	vm_ssh 'cat >/var/tmp/old.bundle' <"$U/berth-0.0.5.bundle"
	vm_ssh 'cat >/var/tmp/same.bundle' <"$OUT/berth-$V1.bundle"

	# BUNDLE:WHY, in turn
	for b in 'sig:does not verify' 'tampered:root.img: sha256' truncated:truncated 'wrongkey:expected key' \
		old:downgrade same:already; do
		run vm_ssh berth update apply "/var/tmp/${b%%:*}.bundle"
		assert_failure
		assert_output --partial "${b#*:}"
	done
	# each one line, and nothing written: slot b and the ESP as they were
	run vm_ssh 'sha256sum </dev/vda3'
	assert_output "$before"
	run esp
	assert_output "berth-$V1.efi "
	run vm_ssh 'berth update status'
	assert_output --partial 'already'
}

@test "a cut at 10, 50 and 90 % of the slot write boots the old slot; a reinstall then works" {
	boot_v1
	send 0.2.0
	for pct in 10 50 90; do
		apply_cut "root:$pct"
		run booted
		assert_output "$V1 a"
		run esp
		assert_output "berth-$V1.efi "
	done
	run vm_ssh 'berth update apply /var/tmp/u.bundle'
	assert_success
	reboot_wait 'boot blessed'
	run booted
	assert_output '0.2.0 b'
}

@test "a cut after staging boots the old slot; a cut right after activation boots the trial" {
	boot_v1
	send 0.2.0
	apply_cut staged
	run booted
	assert_output "$V1 a"
	apply_cut activated
	run booted
	assert_output '0.2.0 b'
	# systemd-boot counted the try before booting it (+3-0 became +2-1),
	# then the boot check blessed it
	vm_wait 'boot blessed' 180
	vm_console | grep -q 'update: berth-0.2.0+2-1.efi blessed (now berth-0.2.0.efi)$'
	run esp
	assert_output "berth-$V1.efi berth-0.2.0.efi "
}

@test "a v3 whose init panics falls back when its tries run out (+3-0, +2-1, +1-2, +0-3)" {
	boot_v1
	send 0.3.0-panic
	vm_ssh 'berth update apply /var/tmp/u.bundle'
	reboot_to_v1
	[ "$(vm_console | grep -c 'Kernel panic')" -eq 3 ]
	run esp
	assert_output "berth-$V1.efi berth-0.3.0+0-3.efi "
	run vm_ssh 'berth update status'
	assert_output --partial bad
}

@test "a v3 whose container is unhealthy is marked bad after one boot" {
	boot_v1
	vm_ssh 'cat >/var/tmp/demo.tar' <"$OUT/demo.tar"
	vm_ssh 'berth load /var/tmp/demo.tar >/dev/null'
	send 0.3.0-sick
	vm_ssh 'berth update apply /var/tmp/u.bundle'
	reboot_wait 'boot failed: .*'
	# on the first boot of 0.3.0
	[ "$(vm_console | grep -c 'berth\[[0-9.]*\]: init start$')" -eq 1 ]
	vm_console | grep -q 'sick'
	vm_wait 'shutdown done'
	vm_mark
	vm_wait ready 300
	vm_wait_ssh
	run booted
	assert_output "$V1 a"
	run esp
	assert_output "berth-$V1.efi berth-0.3.0+0-3.efi "
}

@test "verity corruption in the new slot falls back to the old one" {
	boot_v1
	send 0.2.0
	vm_ssh 'berth update apply /var/tmp/u.bundle'
	# the first data block of slot b (the erofs superblock) altered
	vm_ssh 'printf XXXXXXXX | dd of=/dev/vda3 bs=1 seek=1100 conv=notrunc,fsync 2>/dev/null'
	reboot_to_v1
	run esp
	assert_output "berth-$V1.efi berth-0.2.0+0-3.efi "
}

# flip_root DEV: XOR 0xff one byte in the middle of the running root's data
# blocks on DEV, written past the page cache
flip_root() {
	vm_ssh "sh -s -- $1" <<'SH'
set -e
n=$(sed -n 's/.*berth\.verity_data_blocks=\([0-9]*\).*/\1/p' /proc/cmdline)
at=$((n / 2 * 4096 + 1234))
b=$(dd if="$1" bs=1 skip="$at" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$at" conv=notrunc,fsync 2>/dev/null
echo "flipped byte $at of $1"
SH
}

@test "a blessed v2 whose slot is corrupted later boots v1, naming the bad slot; both corrupted: one stop, no loop" {
	boot_v1
	send 0.2.0
	vm_ssh 'berth update apply /var/tmp/u.bundle'
	reboot_wait 'boot blessed'
	run booted
	assert_output '0.2.0 b'
	run esp
	assert_output "berth-$V1.efi berth-0.2.0.efi "
	# the good UKI has no counter: systemd-boot would pick it forever
	run flip_root /dev/vda3
	assert_success
	reboot_to_v1
	run vm_console
	assert_output --regexp 'berth-root-b \(/dev/vda3\): skipped: data block [0-9]+ \(bytes [0-9-]+\) fails verification'
	assert_output --partial "EFI/Linux/berth-0.2.0.efi's root does not verify: marked bad (berth-0.2.0+0-3.efi), the other UKI boots next: rebooting"
	# v2 failed once and v1 came up: two boots
	assert_equal "$(vm_console | grep -c 'berth\[[0-9.]*\]: init start$')" 2
	run esp
	assert_output "berth-$V1.efi berth-0.2.0+0-3.efi "
	# now v1's slot too: nothing good is left, so one clear stop, powered off
	run flip_root /dev/vda2
	assert_success
	vm_mark
	vm_ssh reboot || true
	run vm_wait_exit 300
	assert_success
	run vm_console
	assert_output --regexp 'berth-root-a \(/dev/vda2\): skipped: data block [0-9]+'
	assert_output --partial "EFI/Linux/berth-$V1.efi's root does not verify: no other good Berth to fall back to; powering off rather than boot-loop"
	assert_equal "$(vm_console | grep -c 'berth\[[0-9.]*\]: init start$')" 1
	refute_output --partial 'root mounted'
}

@test "four A-B-A-B cycles leave two UKIs on the ESP" {
	boot_v1
	local v slot=b
	for v in 0.2.0 0.3.0 0.4.0 0.5.0; do
		send "$v"
		run vm_ssh 'berth update apply /var/tmp/u.bundle'
		assert_success
		reboot_wait 'boot blessed'
		run booted
		assert_output "$v $slot"
		[ $slot = b ] && slot=a || slot=b
		run esp
		[ "$(echo "$output" | wc -w)" -eq 2 ]
	done
	run esp
	assert_output 'berth-0.4.0.efi berth-0.5.0.efi '
}
