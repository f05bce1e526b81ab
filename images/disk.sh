#!/bin/sh
# disk.sh: out/berth.img, the raw GPT disk a user flashes with dd, and
# out/berth.qcow2. DESIGN.md section 4: esp, berth-root-a (this root image),
# berth-root-b (empty until the first update), berth-data (ext4, /var; grown
# to the end of the disk on first boot). No loop devices, no mounts.
# VAR_SEED=DIR adds DIR's files to /var, DISK_OUT=FILE writes the raw image
# there and no qcow2 (the tests use both for an image with an SSH key).
set -eu
. "$(dirname "$0")/../scripts/lib.sh"
VERSION=${VERSION:-$(cat "$TOP/VERSION")}
ESP_MB=64 ROOT_MB=256 DATA_MB=128
work=$OUT/disk.tmp
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# Reproducible: every ID is derived from the version and the root hash,
# every time stamp is SOURCE_DATE_EPOCH (lib.sh). What must differ per
# machine is made at its first boot instead: the data filesystem's UUID is
# nil here (the initramfs sets one), and /var holds no machine id, host key
# or entropy seed.
. "$OUT/root.env"
disk_id() { derived_uuid "berth $VERSION $ROOTHASH $1"; }

# ESP: systemd-boot and the first UKI (good, no boot counter); mtools takes
# its dates from SOURCE_DATE_EPOCH
esp=$work/esp.img
# --invariant fixes mkfs.vfat's dates but also its volume ID (0x1234abcd):
# write a derived one into the boot sector and its backup (sector 6)
mkfs.vfat -C -F 32 -n BERTH-ESP --invariant "$esp" $((ESP_MB * 1024)) >/dev/null
volid=$(disk_id esp | cut -c1-8)
for at in 67 $((6 * 512 + 67)); do
	for b in 7 5 3 1; do # little-endian
		# shellcheck disable=SC2059 # the format is the byte
		printf "\\$(printf %03o "0x$(echo "$volid" | cut -c"$b-$((b + 1))")")"
	done | dd of="$esp" bs=1 seek="$at" conv=notrunc status=none
done
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/Linux ::/loader
mcopy -i "$esp" /usr/lib/systemd/boot/efi/systemd-bootx64.efi ::/EFI/BOOT/BOOTX64.EFI
printf 'timeout 0\neditor no\nauto-entries no\nauto-firmware no\n' >"$work/loader.conf"
mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$OUT/berth.efi" "::/EFI/Linux/berth-$VERSION.efi"

# /var: the skeleton of the data partition
var=$work/var
mkdir -p "$var/lib/berth" "$var/log" "$var/home" "$var/roothome" "$var/tmp"
chmod 700 "$var/roothome"
chmod 1777 "$var/tmp"
[ -n "${VAR_SEED:-}" ] && cp -a "$VAR_SEED/." "$var/"
find "$var" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
data=$work/data.img
# -U clear: the nil UUID, which the first boot replaces (initramfs/identity.c);
# metadata_csum_seed lets the kernel change it without rewriting checksums
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -L berth-data -U clear -O metadata_csum_seed \
	-E "root_owner=0:0,hash_seed=$(disk_id data-hash-seed)" -d "$var" "$data" "${DATA_MB}M" >/dev/null
# mke2fs -d copies each file's ctime, which no tool can set: fix them
(cd "$var" && find . -mindepth 1 | sed 's|^\.||') | while read -r p; do
	printf 'sif "%s" ctime @%s\n' "$p" "$SOURCE_DATE_EPOCH"
done >"$work/ctime.debugfs"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$work/ctime.debugfs" "$data" >"$work/debugfs.log" 2>&1 ||
	die "disk: debugfs could not set the ctimes in /var (log: $work/debugfs.log)"

root_bytes=$(stat -c %s "$OUT/root.img")
[ "$root_bytes" -le $((ROOT_MB * 1024 * 1024)) ] || die "disk: root.img ($root_bytes bytes) is larger than a ${ROOT_MB} MiB slot"

img=$work/berth.img
total_mb=$((1 + ESP_MB + 2 * ROOT_MB + DATA_MB + 1))
truncate -s "${total_mb}M" "$img"
sfdisk -q "$img" <<SFDISK
label: gpt
label-id: $(disk_id disk)
first-lba: 2048
size=${ESP_MB}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$(disk_id part-esp), name="esp"
size=${ROOT_MB}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(disk_id part-root-a), name="berth-root-a"
size=${ROOT_MB}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(disk_id part-root-b), name="berth-root-b"
size=${DATA_MB}MiB, type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, uuid=$(disk_id part-data), name="berth-data"
SFDISK
put() { # partition-number file
	start=$(sfdisk -J "$img" | jq ".partitiontable.partitions[$(($1 - 1))].start")
	dd if="$2" of="$img" bs=512 seek="$start" conv=notrunc,sparse status=none
}
put 1 "$esp"
put 2 "$OUT/root.img"
put 4 "$data"
if [ -n "${DISK_OUT:-}" ]; then
	mv "$img" "$DISK_OUT"
	echo "disk: $DISK_OUT"
	exit 0
fi
mv "$img" "$OUT/berth.img"
qemu-img convert -f raw -O qcow2 "$OUT/berth.img" "$OUT/berth.qcow2.tmp"
mv "$OUT/berth.qcow2.tmp" "$OUT/berth.qcow2"
echo "disk: out/berth.img ${total_mb} MiB ($(du -k "$OUT/berth.img" | cut -f1) KiB allocated), out/berth.qcow2 $(stat -c %s "$OUT/berth.qcow2") bytes"
