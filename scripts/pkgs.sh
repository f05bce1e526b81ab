#!/bin/sh
# pkgs.sh NAME...: build the packages, in this order, into a staging
# directory and publish out/sysroot, out/rootfs-bin and out/pkgs by rename
# only when every one succeeded: a failed build leaves the last complete set
# (and the out/manifest.json that describes it), never a partial one. When
# the published set already has every package's current key, out/ is not
# touched at all, so a no-op `make` rewrites nothing.
set -eu
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || die "usage: pkgs.sh NAME..."

stage=$OUT/pkgs.tmp.$$
rm -rf "$stage"; mkdir -p "$stage/pkgs"
trap 'rm -rf "$stage"' EXIT

# out/pkgs/.complete marks a set pkgs.sh published; pkg.sh run by hand drops it
for p; do
	STAGE=$stage "$TOP/scripts/pkg.sh" --key "$p" >"$stage/pkgs/$p.key"
done
touch "$stage/pkgs/.complete"
if [ -d "$OUT/sysroot" ] && [ -d "$OUT/rootfs-bin" ] && diff -r "$stage/pkgs" "$OUT/pkgs" >/dev/null 2>&1; then
	echo "pkgs: up to date, $(ls "$OUT/rootfs-bin" | wc -l) binaries in out/rootfs-bin"
	exit 0
fi

rm -rf "$stage"; mkdir -p "$stage/rootfs-bin"
for p; do
	STAGE=$stage "$TOP/scripts/pkg.sh" "$p"
done
touch "$stage/pkgs/.complete"
# drop the mark first and publish it last: an interrupted publish is redone
rm -f "$OUT/pkgs/.complete"
atomic_publish "$stage/sysroot" "$OUT/sysroot"
atomic_publish "$stage/rootfs-bin" "$OUT/rootfs-bin"
atomic_publish "$stage/pkgs" "$OUT/pkgs"
echo "pkgs: $(ls "$OUT/rootfs-bin" | wc -l) binaries in out/rootfs-bin"
