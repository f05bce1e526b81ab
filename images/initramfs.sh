#!/bin/sh
# initramfs.sh: out/initramfs.cpio, uncompressed: /init and the mount points
# it needs. Built with the kernel's own gen_init_cpio, so no root is needed
# for the /dev/console node.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"
[ -x "$OUT/bin/initramfs-init" ] || die "initramfs: out/bin/initramfs-init is missing (make progs)"
gen=$OUT/toolchain/gen_init_cpio
if [ ! -x "$gen" ]; then
	tree=$("$TOP/scripts/kernel-src.sh")
	mkdir -p "$OUT/toolchain"
	cc -O2 -o "$gen" "$tree/usr/gen_init_cpio.c"
fi
# gen_init_cpio gives a file its mtime: a copy dated SOURCE_DATE_EPOCH, so
# the archive does not depend on when the program was linked
init=$OUT/initramfs-init.sde
cp "$OUT/bin/initramfs-init" "$init.tmp"
touch -d "@$SOURCE_DATE_EPOCH" "$init.tmp"
mv "$init.tmp" "$init"
cat >"$OUT/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /run 0755 0 0
dir /newroot 0755 0 0
file /init $init 0755 0 0
LIST
"$gen" -t 0 "$OUT/initramfs.list" >"$OUT/initramfs.cpio.tmp"
mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
echo "initramfs: out/initramfs.cpio $(stat -c %s "$OUT/initramfs.cpio") bytes"
