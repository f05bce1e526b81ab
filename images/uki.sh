#!/bin/sh
# uki.sh: out/berth.efi, the unified kernel image systemd-boot starts: the
# EFI stub from systemd-boot-efi with the kernel, the initramfs, os-release
# and a command line that carries the root image's verity root hash.
# UKI_INITRD, UKI_CMDLINE, UKI_OUT make another UKI from the same kernel (the
# benchmark's floor).
set -eu
. "$(dirname "$0")/../scripts/lib.sh"
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || die "uki: $stub is missing (make deps)"
if [ -n "${UKI_CMDLINE:-}" ]; then
	cmdline=$UKI_CMDLINE
else
	. "$OUT/root.env"
	cmdline="console=tty0 console=ttyS0,115200 quiet panic=5 roothash=$ROOTHASH berth.verity_data_blocks=$VERITY_DATA_BLOCKS berth.verity_hash_offset=$VERITY_HASH_OFFSET berth.verity_salt=$VERITY_SALT${BERTH_CMDLINE_EXTRA:+ $BERTH_CMDLINE_EXTRA}"
fi
uki=${UKI_OUT:-$OUT/berth.efi}
printf '%s' "$cmdline" >"$uki.cmdline"
[ -n "${UKI_CMDLINE:-}" ] || cp "$uki.cmdline" "$OUT/cmdline"

# new sections go after the stub's last one, each 4 KiB aligned
end=0
for e in $(objdump -h "$stub" | awk '$1 ~ /^[0-9]+$/ { print "0x" $3 "+0x" $4 }'); do
	[ $(( $e )) -gt "$end" ] && end=$(( $e ))
done
align() { echo $(( ($1 + 4095) / 4096 * 4096 )); }
args=
at=$(align "$end")
for s in osrel:"$OUT/rootfs/etc/os-release" cmdline:"$uki.cmdline" initrd:"${UKI_INITRD:-$OUT/initramfs.cpio}" linux:"$OUT/vmlinuz"; do
	name=${s%%:*} file=${s#*:}
	args="$args --add-section .$name=$file --change-section-vma .$name=$(printf 0x%x "$at")"
	at=$(align $((at + $(stat -L -c %s "$file"))))
done
# shellcheck disable=SC2086
objcopy $args "$stub" "$uki.tmp"
# objcopy (binutils 2.40) stamps the PE header with the clock: put
# SOURCE_DATE_EPOCH there instead and recompute the header's checksum
python3 - "$uki.tmp" "$SOURCE_DATE_EPOCH" <<'PY' || die "uki: cannot fix the PE time stamp"
import struct, sys
path, when = sys.argv[1], int(sys.argv[2]) & 0xffffffff
d = bytearray(open(path, "rb").read())
pe = struct.unpack_from("<I", d, 0x3c)[0]
assert d[pe:pe + 4] == b"PE\0\0"
struct.pack_into("<I", d, pe + 8, when)
at = pe + 24 + 64  # OptionalHeader.CheckSum
struct.pack_into("<I", d, at, 0)
total = 0
for (w,) in struct.iter_unpack("<H", d + b"\0" * (len(d) % 2)):
    total += w
    total = (total & 0xffff) + (total >> 16)
struct.pack_into("<I", d, at, (total + len(d)) & 0xffffffff)
open(path, "wb").write(d)
PY
rm -f "$uki.cmdline"
mv "$uki.tmp" "$uki"
echo "uki: $uki $(stat -c %s "$uki") bytes"
