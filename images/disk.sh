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

# ESP: systemd-boot and the first UKI (good, no boot counter)
esp=$work/esp.img
mkfs.vfat -C -F 32 -n BERTH-ESP "$esp" $((ESP_MB * 1024)) >/dev/null
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
data=$work/data.img
mke2fs -q -F -t ext4 -L berth-data -d "$var" -E root_owner=0:0 "$data" "${DATA_MB}M" >/dev/null

root_bytes=$(stat -c %s "$OUT/root.img")
[ "$root_bytes" -le $((ROOT_MB * 1024 * 1024)) ] || die "disk: root.img ($root_bytes bytes) is larger than a ${ROOT_MB} MiB slot"

img=$work/berth.img
total_mb=$((1 + ESP_MB + 2 * ROOT_MB + DATA_MB + 1))
truncate -s "${total_mb}M" "$img"
sfdisk -q "$img" <<SFDISK
label: gpt
first-lba: 2048
size=${ESP_MB}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"
size=${ROOT_MB}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="berth-root-a"
size=${ROOT_MB}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="berth-root-b"
size=${DATA_MB}MiB, type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, name="berth-data"
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
