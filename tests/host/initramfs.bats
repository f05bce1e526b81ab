#!/usr/bin/env bats
# The early /init's host-testable parts, against real tools as peers:
# veritysetup for the hash tree, sfdisk for the GPT, sha256sum, mke2fs.

setup_file() {
	load ../lib/common
	# built by `make progs` (make check and make test run it first)
	berth_make "$OUT/bin/initramfs-init"
}

setup() {
	load ../lib/common
	BIN=$OUT/bin/initramfs-init
	W=$BATS_TEST_TMPDIR
}

# a small erofs root image padded to whole blocks, with its verity tree
# appended by veritysetup; sets BLOCKS, OFFSET, SALT, ROOTHASH
make_root() {
	mkdir -p "$W/tree/etc" "$W/tree/sbin"
	head -c 200000 /dev/urandom >"$W/tree/sbin/init"
	echo berth >"$W/tree/etc/hostname"
	mkfs.erofs --quiet "$W/root.img" "$W/tree"
	local size
	size=$(stat -c %s "$W/root.img")
	OFFSET=$(((size + 4095) / 4096 * 4096))
	truncate -s "$OFFSET" "$W/root.img"
	BLOCKS=$((OFFSET / 4096))
	SALT=${1:-5eed0123456789abcdef}
	ROOTHASH=$(veritysetup format --hash-offset="$OFFSET" --salt="$SALT" "$W/root.img" "$W/root.img" |
		awk '/^Root hash:/ { print $3 }')
	[ "${#ROOTHASH}" -eq 64 ]
}

# change the last hex digit of a hash
other_hash() {
	local h=$1 last=${1: -1}
	[ "$last" = 0 ] && echo "${h%?}1" || echo "${h%?}0"
}

@test "the binary is static and prints its usage when not PID 1" {
	run readelf -lW "$BIN"
	refute_output --partial INTERP
	run "$BIN"
	assert_failure 100
	assert_output --partial 'verity-check FILE ROOTHASH DATA_BLOCKS HASH_OFFSET SALT'
	run "$BIN" verity-check too few
	assert_failure 100
}

@test "sha256 matches sha256sum at padding boundaries and on 1 MB" {
	for n in 0 1 55 56 63 64 65 119 120 1000000; do
		head -c "$n" /dev/urandom >"$W/in"
		want=$(sha256sum <"$W/in" | cut -d' ' -f1)
		run "$BIN" sha256 "$W/in"
		assert_success
		assert_output "$want"
	done
}

@test "sha256 gives the FIPS 180-4 digest of abc" {
	printf abc >"$W/abc"
	run "$BIN" sha256 "$W/abc"
	assert_output ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}

@test "verity-check accepts the tree veritysetup wrote" {
	make_root
	run "$BIN" verity-check "$W/root.img" "$ROOTHASH" "$BLOCKS" "$OFFSET" "$SALT"
	assert_success
	assert_output ok
}

@test "verity-check accepts an image without salt, and one of a single block" {
	make_root -
	run "$BIN" verity-check "$W/root.img" "$ROOTHASH" "$BLOCKS" "$OFFSET" -
	assert_success
	head -c 4096 /dev/urandom >"$W/one.img"
	hash=$(veritysetup format --hash-offset=4096 --salt=ab "$W/one.img" "$W/one.img" | awk '/^Root hash:/ { print $3 }')
	run "$BIN" verity-check "$W/one.img" "$hash" 1 4096 ab
	assert_success
}

@test "verity-check handles a three-level tree (more than 128*128 blocks)" {
	head -c $((16385 * 4096)) /dev/zero >"$W/big.img"
	hash=$(veritysetup format --hash-offset=$((16385 * 4096)) --salt=01 "$W/big.img" "$W/big.img" |
		awk '/^Root hash:/ { print $3 }')
	run "$BIN" verity-check "$W/big.img" "$hash" 16385 $((16385 * 4096)) 01
	assert_success
	run "$BIN" verity-check "$W/big.img" "$(other_hash "$hash")" 16385 $((16385 * 4096)) 01
	assert_failure 1
}

@test "verity-check refuses a different root hash" {
	make_root
	run "$BIN" verity-check "$W/root.img" "$(other_hash "$ROOTHASH")" "$BLOCKS" "$OFFSET" "$SALT"
	assert_failure 1
	assert_output --partial 'does not match roothash'
	[ "${#lines[@]}" -eq 1 ]
}

@test "verity-check refuses a flipped byte in the top-level hash block" {
	make_root
	# the tree starts one block after the superblock; the top level comes first
	pos=$((OFFSET + 4096 + 100))
	byte=$(od -An -tu1 -j "$pos" -N1 "$W/root.img" | tr -d ' ')
	printf '%b' "\\0$(printf '%o' $(((byte + 1) % 256)))" |
		dd of="$W/root.img" bs=1 seek="$pos" conv=notrunc status=none
	run "$BIN" verity-check "$W/root.img" "$ROOTHASH" "$BLOCKS" "$OFFSET" "$SALT"
	assert_failure 1
	assert_output --partial 'does not match roothash'
	# and veritysetup agrees the image is now bad
	run veritysetup verify --hash-offset="$OFFSET" "$W/root.img" "$W/root.img" "$ROOTHASH"
	assert_failure
}

@test "verity-check refuses a wrong data block count or salt" {
	make_root
	run "$BIN" verity-check "$W/root.img" "$ROOTHASH" $((BLOCKS - 1)) "$OFFSET" "$SALT"
	assert_failure 1
	assert_output --partial "verity superblock has $BLOCKS data blocks, the command line $((BLOCKS - 1))"
	run "$BIN" verity-check "$W/root.img" "$ROOTHASH" "$BLOCKS" "$OFFSET" 5eed
	assert_failure 1
	assert_output --partial 'verity salt differs'
	run "$BIN" verity-check "$W/root.img" "$ROOTHASH" "$BLOCKS" "$OFFSET" -
	assert_failure 1
	assert_output --partial 'verity salt differs'
}

@test "verity-check skips an empty slot and a truncated one with one line" {
	make_root
	truncate -s 1M "$W/empty.img"
	run "$BIN" verity-check "$W/empty.img" "$ROOTHASH" "$BLOCKS" "$OFFSET" "$SALT"
	assert_failure 1
	assert_output "initramfs-init: verity-check: no verity superblock at offset $OFFSET"
	truncate -s $((OFFSET + 4096)) "$W/root.img"
	run "$BIN" verity-check "$W/root.img" "$ROOTHASH" "$BLOCKS" "$OFFSET" "$SALT"
	assert_failure 1
	assert_output --partial 'ends inside the hash tree'
}

@test "cmdline parses the verity parameters and derives the hash start block" {
	h=$(printf 'ab%.0s' $(seq 32))
	run "$BIN" cmdline "quiet roothash=$h berth.verity_data_blocks=1000 berth.verity_hash_offset=4096000 berth.verity_salt=00ff console=ttyS0"
	assert_success
	assert_line "roothash=$h"
	assert_line data_blocks=1000
	assert_line hash_offset=4096000
	assert_line hash_start_block=1001
	assert_line salt=00ff
	assert_line root_timeout=10
	assert_line debug=0
	run "$BIN" cmdline "roothash=$h berth.verity_data_blocks=1 berth.verity_hash_offset=4096 berth.verity_salt=- berth.root_timeout=30 berth.debug"
	assert_success
	assert_line salt=-
	assert_line root_timeout=30
	assert_line debug=1
	run "$BIN" cmdline "roothash=$h berth.verity_data_blocks=1 berth.verity_hash_offset=4096 berth.verity_salt=- berth.debug=0"
	assert_line debug=0
}

@test "cmdline names the key of every bad value in one line" {
	h=$(printf 'ab%.0s' $(seq 32))
	ok="berth.verity_data_blocks=10 berth.verity_hash_offset=40960 berth.verity_salt=-"
	check() {
		run "$BIN" cmdline "$1"
		assert_failure 1
		assert_output --partial "$2"
		[ "${#lines[@]}" -eq 1 ]
	}
	check "$ok" 'roothash: missing'
	check "roothash=${h%?} $ok" 'roothash: expected 64 hex'
	check "roothash=${h%?}g $ok" 'roothash: expected 64 hex'
	check "roothash=$h berth.verity_hash_offset=40960 berth.verity_salt=-" 'berth.verity_data_blocks: missing'
	check "roothash=$h berth.verity_data_blocks=-1 berth.verity_hash_offset=40960 berth.verity_salt=-" 'berth.verity_data_blocks: expected'
	check "roothash=$h berth.verity_data_blocks=0 berth.verity_hash_offset=40960 berth.verity_salt=-" 'berth.verity_data_blocks: expected'
	check "roothash=$h berth.verity_data_blocks=99999999999999999999 berth.verity_hash_offset=40960 berth.verity_salt=-" 'berth.verity_data_blocks: expected'
	check "roothash=$h berth.verity_data_blocks=10 berth.verity_hash_offset=40961 berth.verity_salt=-" 'berth.verity_hash_offset: expected'
	check "roothash=$h berth.verity_data_blocks=10 berth.verity_hash_offset=4096 berth.verity_salt=-" 'berth.verity_hash_offset: 4096 is inside'
	check "roothash=$h berth.verity_data_blocks=10 berth.verity_hash_offset=40960" 'berth.verity_salt: missing'
	check "roothash=$h berth.verity_data_blocks=10 berth.verity_hash_offset=40960 berth.verity_salt=abc" 'berth.verity_salt: expected'
	check "roothash=$h berth.verity_data_blocks=10 berth.verity_hash_offset=40960 berth.verity_salt=$(printf '00%.0s' $(seq 257))" 'berth.verity_salt: expected'
	check "roothash=$h $ok berth.root_timeout=0" 'berth.root_timeout: expected'
	check "roothash=$h $ok berth.root_timeout=5s" 'berth.root_timeout: expected'
}

@test "verity-table gives the dm-verity target for the mapped root" {
	make_root
	cmd="roothash=$ROOTHASH berth.verity_data_blocks=$BLOCKS berth.verity_hash_offset=$OFFSET berth.verity_salt=$SALT"
	run "$BIN" verity-table "$cmd" 254:2
	assert_success
	# length in 512-byte sectors; the tree starts one block after the superblock
	assert_output "0 $((BLOCKS * 8)) verity 1 254:2 254:2 4096 4096 $BLOCKS $((OFFSET / 4096 + 1)) sha256 $ROOTHASH $SALT 1 restart_on_corruption"
	run "$BIN" verity-table "$cmd" 254
	assert_failure 1
	assert_output --partial 'expected MAJOR:MINOR'
}

# a 64 MiB disk laid out as DESIGN.md section 4, then enlarged to 128 MiB
make_disk() {
	truncate -s 64M "$W/disk.img"
	sfdisk -q "$W/disk.img" <<-'END'
		label: gpt
		size=8M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
		size=16M, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=berth-root-a
		size=16M, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=berth-root-b
		size=8M, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=berth-data
	END
	truncate -s 128M "$W/disk.img"
}

@test "gpt-grow moves the backup GPT to the end and grows berth-data to the last usable LBA" {
	make_disk
	run sfdisk --verify "$W/disk.img"
	assert_output --partial 'backup GPT table is not on the end'
	before=$(sfdisk -J "$W/disk.img" | jq -c '[.partitiontable.partitions[] | select(.name != "berth-data")]')

	run "$BIN" gpt-grow "$W/disk.img" berth-data
	assert_success
	assert_output --partial 'berth-data: partition 4'

	run sfdisk --verify "$W/disk.img"
	assert_success
	assert_output --partial 'No errors detected'
	refute_output --partial 'backup'
	refute_output --partial 'mismatch'
	run fdisk -l "$W/disk.img"
	refute_output --partial 'PMBR size mismatch'

	json=$(sfdisk -J "$W/disk.img")
	lastlba=$(jq '.partitiontable.lastlba' <<<"$json")
	# 262144 sectors - 1 backup header - 32 sectors of entries - 1
	assert_equal "$lastlba" 262110
	end=$(jq '.partitiontable.partitions[] | select(.name == "berth-data") | .start + .size - 1' <<<"$json")
	assert_equal "$end" "$lastlba"
	after=$(jq -c '[.partitiontable.partitions[] | select(.name != "berth-data")]' <<<"$json")
	assert_equal "$after" "$before"
}

@test "gpt-grow a second time changes nothing" {
	make_disk
	"$BIN" gpt-grow "$W/disk.img" berth-data
	sum=$(sha256sum <"$W/disk.img")
	run "$BIN" gpt-grow "$W/disk.img" berth-data
	assert_success
	assert_output --partial 'already at the end of the disk'
	assert_equal "$(sha256sum <"$W/disk.img")" "$sum"
}

@test "gpt-grow refuses a primary header with a bad CRC and leaves the disk alone" {
	make_disk
	# byte 0x30 of the header at LBA 1 is inside last_usable_lba
	printf '\x01' | dd of="$W/disk.img" bs=1 seek=$((512 + 0x30)) conv=notrunc status=none
	sum=$(sha256sum <"$W/disk.img")
	run "$BIN" gpt-grow "$W/disk.img" berth-data
	assert_failure 1
	assert_output 'initramfs-init: gpt-grow: primary GPT header is missing or fails its CRC check; not touching the disk'
	assert_equal "$(sha256sum <"$W/disk.img")" "$sum"
}

@test "gpt-grow refuses corrupt entries, a partition that is not last, and an unknown label" {
	make_disk
	run "$BIN" gpt-grow "$W/disk.img" berth-root-b
	assert_failure 1
	assert_output --partial 'berth-root-b is not the last partition'
	run "$BIN" gpt-grow "$W/disk.img" berth-nothing
	assert_failure 1
	assert_output --partial 'no partition named berth-nothing'
	# the entry array starts at LBA 2: flip a byte of entry 1's name
	printf 'X' | dd of="$W/disk.img" bs=1 seek=$((1024 + 56)) conv=notrunc status=none
	run "$BIN" gpt-grow "$W/disk.img" berth-data
	assert_failure 1
	assert_output --partial 'entries fail their CRC check'
}

@test "ext4-probe reads the block count of a real ext4 and rejects a wiped partition" {
	truncate -s 64M "$W/data.img"
	mke2fs -q -t ext4 -b 4096 -O 64bit "$W/data.img"
	want=$(dumpe2fs -h "$W/data.img" 2>/dev/null | awk '/^Block count:/ { print $3 }')
	run "$BIN" ext4-probe "$W/data.img"
	assert_success
	assert_output "ext4 blocks=$want block_size=4096 state=0x1 errors=0"
	truncate -s 0 "$W/data.img"
	truncate -s 64M "$W/data.img"
	run "$BIN" ext4-probe "$W/data.img"
	assert_failure 1
	assert_output --partial 'holds no ext4 filesystem'
}

# the data partition before /var is mounted, with Debian's e2fsprogs built
# for the image (out/rootfs-bin) as the tools, as the initramfs runs them
data_fs() {
	mkdir -p "$W/var/lib/berth"
	echo "kept" >"$W/var/lib/berth/keep"
	truncate -s 64M "$W/data.img"
	mke2fs -q -F -t ext4 -L berth-data -d "$W/var" "$W/data.img"
}

@test "data-prepare leaves a clean ext4 alone and runs nothing" {
	data_fs
	sum=$(sha256sum <"$W/data.img")
	run "$BIN" data-prepare "$W/data.img" "$OUT/rootfs-bin" "$W/fsck.log" auto
	assert_success
	assert_output ''
	assert_equal "$(sha256sum <"$W/data.img")" "$sum"
	[ ! -e "$W/fsck.log" ]
}

@test "data-prepare repairs an ext4 whose superblock records errors, keeping the files" {
	data_fs
	# real damage (a wrong link count) and the flag the kernel sets when it meets damage
	debugfs -w -R "sif /lib/berth/keep links_count 7" "$W/data.img" 2>/dev/null
	debugfs -w -R "ssv state 3" "$W/data.img" 2>/dev/null
	debugfs -w -R "ssv error_count 2" "$W/data.img" 2>/dev/null
	run "$BIN" ext4-probe "$W/data.img"
	assert_output --partial 'state=0x3 errors=2'
	run e2fsck -fn "$W/data.img"
	assert_failure
	run "$BIN" data-prepare "$W/data.img" "$OUT/rootfs-bin" "$W/fsck.log" auto
	assert_success
	assert_line --index 0 "initramfs: berth-data ($W/data.img) records filesystem errors: e2fsck -f -y, output in $W/fsck.log"
	assert_line --index 1 'initramfs: berth-data: e2fsck fixed the errors (exit 1)'
	grep -q 'Inode .* ref count is 7, should be 1' "$W/fsck.log"
	run e2fsck -fn "$W/data.img"
	assert_success
	assert_equal "$(debugfs -R 'cat /lib/berth/keep' "$W/data.img" 2>/dev/null)" kept
	run "$BIN" ext4-probe "$W/data.img"
	assert_output --partial 'state=0x1 errors=0'
}

@test "data-prepare with force checks a clean ext4 and finds nothing" {
	data_fs
	run "$BIN" data-prepare "$W/data.img" "$OUT/rootfs-bin" "$W/fsck.log" force
	assert_success
	assert_line --index 0 --partial 'check asked for (berth.fsck=force)'
	assert_line --index 1 'initramfs: berth-data: e2fsck found no errors (exit 0)'
}

@test "data-prepare formats an all-zero partition and nothing else" {
	truncate -s 64M "$W/data.img"
	run "$BIN" data-prepare "$W/data.img" "$OUT/rootfs-bin" "$W/fsck.log" auto
	assert_success
	assert_output "initramfs: berth-data ($W/data.img) holds no filesystem: formatting it ext4, a first boot"
	run "$BIN" ext4-probe "$W/data.img"
	assert_success
	assert_equal "$(blkid -o value -s LABEL "$W/data.img")" berth-data
	assert_equal "$(blkid -o value -s TYPE "$W/data.img")" ext4
}

@test "data-prepare never formats a partition that holds something other than ext4" {
	truncate -s 64M "$W/data.img"
	# a byte near the end (where md and ZFS keep labels), then an xfs superblock at the start
	printf 'Z' | dd of="$W/data.img" bs=1 seek=$((64 * 1024 * 1024 - 4096)) conv=notrunc status=none
	sum=$(sha256sum <"$W/data.img")
	run "$BIN" data-prepare "$W/data.img" "$OUT/rootfs-bin" "$W/fsck.log" auto
	assert_failure 1
	assert_output "initramfs-init: data-prepare: $W/data.img (berth-data) holds no ext4 but is not empty (byte $((64 * 1024 * 1024 - 4096)) is not zero); not formatting it: zero it to start afresh"
	assert_equal "$(sha256sum <"$W/data.img")" "$sum"
	truncate -s 64M "$W/x.img"
	mkfs.xfs -q "$W/x.img" 2>/dev/null || printf 'XFSB' | dd of="$W/x.img" conv=notrunc status=none
	run "$BIN" data-prepare "$W/x.img" "$OUT/rootfs-bin" "$W/fsck.log" auto
	assert_failure 1
	assert_output --partial 'holds no ext4 but is not empty (byte 0 is not zero)'
}

@test "ext4-uuid: the image's nil UUID becomes a random v4 one on first mount, kept after; e2fsck finds it clean" {
	mke2fs -q -F -t ext4 -U clear -O metadata_csum_seed -L berth-data "$W/data.img" 32M
	mkdir "$W/m"
	mount -o loop "$W/data.img" "$W/m" || skip "no loop device"
	run "$BIN" ext4-uuid "$W/m"
	assert_success
	assert_output --regexp '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} set$'
	first=${output% set}
	run "$BIN" ext4-uuid "$W/m"
	assert_output "$first kept"
	umount "$W/m"
	run e2fsck -fn "$W/data.img"
	assert_success
	run dumpe2fs -h "$W/data.img"
	assert_line --regexp "^Filesystem UUID: +$first\$"
	# a second machine flashed from the same image gets another one
	mke2fs -q -F -t ext4 -U clear -O metadata_csum_seed -L berth-data "$W/data.img" 32M
	mount -o loop "$W/data.img" "$W/m"
	run "$BIN" ext4-uuid "$W/m"
	umount "$W/m"
	assert_success
	refute_output "$first set"
}
