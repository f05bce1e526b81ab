#!/bin/sh
# rootfs.sh: assemble the immutable root (rootfs/ files, busybox and its
# applet links, crun, dropbear, Berth's programs) and write out/root.img: an
# erofs (or squashfs, ROOTFS_TYPE=squashfs) image with its dm-verity hash tree
# appended, and out/root.env with the verity parameters for the command line.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"
VERSION=${VERSION:-$(cat "$TOP/VERSION")}
type=${ROOTFS_TYPE:-erofs}
stage=$OUT/rootfs
bin=$OUT/rootfs-bin
for f in "$bin/busybox" "$bin/crun" "$bin/dropbearmulti" "$bin/e2fsck" "$bin/mke2fs" "$OUT/bin/init"; do
	[ -x "$f" ] || die "rootfs: $f is missing (make pkgs progs)"
done

rm -rf "$stage"
mkdir -p "$stage"
cp -a "$TOP/rootfs/." "$stage/"
# /home and /root: mount points for /var/home and /var/roothome (initramfs)
(cd "$stage" && mkdir -p bin sbin usr/bin usr/sbin usr/lib dev proc sys run tmp var mnt home root \
	etc/berth/stage1.d etc/berth/containers)
chmod 1777 "$stage/tmp"
chmod 700 "$stage/root"
sed "s/@VERSION@/$VERSION/g" "$TOP/rootfs/etc/os-release.in" >"$stage/etc/os-release"
rm "$stage/etc/os-release.in"
ln -s ../etc/os-release "$stage/usr/lib/os-release"
chmod 600 "$stage/etc/shadow"

install -m755 "$bin/busybox" "$stage/bin/busybox"
"$bin/busybox" --list-full | while read -r path; do
	[ -e "$stage/$path" ] || [ -L "$stage/$path" ] || ln -s /bin/busybox "$stage/$path"
done
install -m755 "$bin/crun" "$stage/usr/bin/crun"
install -m755 "$bin/dropbearmulti" "$stage/usr/sbin/dropbearmulti"
ln -s dropbearmulti "$stage/usr/sbin/dropbear"
ln -s ../sbin/dropbearmulti "$stage/usr/bin/dropbearkey"
ln -s ../sbin/dropbearmulti "$stage/usr/bin/scp"
install -m755 "$OUT/bin/init" "$stage/sbin/init"
# the initramfs runs these on the data partition before it mounts /var
install -m755 "$bin/e2fsck" "$stage/usr/sbin/e2fsck"
install -m755 "$bin/mke2fs" "$stage/usr/sbin/mke2fs"
# setuid root: rules in /etc/doas.conf (provision writes them from user-data)
install -m4755 "$bin/doas" "$stage/usr/bin/doas"
ln -s doas "$stage/usr/bin/sudo"
# the CA bundle every HTTPS download trusts (pkgs/ca-certificates), in the
# verified root where libcurl looks for it (pkgs/curl)
install -Dm644 "$OUT/sysroot/usr/share/berth/ca-certificates.crt" "$stage/etc/ssl/certs/ca-certificates.crt"
# the key update bundles must be signed with
install -m644 "$("$TOP/scripts/signing-key.sh").pub" "$stage/etc/berth/update.pub"

# Berth's own commands (out/bin also holds the initramfs's init and the
# benchmark's floor-init, which do not belong here)
for p in berth provision netcfg; do
	if [ -x "$OUT/bin/$p" ]; then install -m755 "$OUT/bin/$p" "$stage/usr/bin/$p"; fi
done

# runsv keeps its state in /run (PID 1 makes /run/runit), not in the /etc
# overlay on /var: per boot, and services run even when /var is full
for d in "$stage"/etc/service/*/; do
	name=$(basename "$d")
	ln -sfn "/run/runit/supervise.$name" "$d/supervise"
	if [ -d "$d/log" ]; then ln -sfn "/run/runit/supervise.$name.log" "$d/log/supervise"; fi
done

# ROOTFS_EXTRA=DIR: files laid over the root last (test variants: a broken
# init, a failing health check)
if [ -n "${ROOTFS_EXTRA:-}" ]; then cp -a "$ROOTFS_EXTRA/." "$stage/"; fi

# the SBOM of every file staged so far, into the root and out/manifest.json;
# ROOTFS_STAGE_ONLY=1 (make manifest) stops here
"$TOP/scripts/sbom.sh" "$stage"
if [ -n "${ROOTFS_STAGE_ONLY:-}" ]; then exit 0; fi

fs=$OUT/root.fs
rm -f "$fs"
case $type in
erofs) mkfs.erofs -zlz4hc -T"$SOURCE_DATE_EPOCH" --all-root -U 6c6f7265-0000-4000-8000-626572746800 "$fs" "$stage" >/dev/null ;;
squashfs) mksquashfs "$stage" "$fs" -comp zstd -all-root -noappend -mkfs-time "$SOURCE_DATE_EPOCH" \
	-all-time "$SOURCE_DATE_EPOCH" -quiet >/dev/null ;;
*) die "rootfs: ROOTFS_TYPE=$type: expected erofs or squashfs" ;;
esac
# dm-verity works on whole 4 KiB blocks
size=$(stat -c %s "$fs")
blocks=$(( (size + 4095) / 4096 ))
truncate -s $((blocks * 4096)) "$fs"
salt=$(sha256sum <"$fs" | cut -c1-64)
cp "$fs" "$OUT/root.img.tmp"
# salt and superblock UUID from the content: the same root, the same bytes
veritysetup format --hash-offset=$((blocks * 4096)) --salt="$salt" --uuid="$(derived_uuid "verity $salt")" \
	--data-block-size=4096 --hash-block-size=4096 --hash=sha256 \
	"$OUT/root.img.tmp" "$OUT/root.img.tmp" >"$OUT/root.verity.txt" ||
	die "rootfs: veritysetup format failed"
roothash=$(sed -n 's/^Root hash:[[:space:]]*//p' "$OUT/root.verity.txt")
[ ${#roothash} = 64 ] || die "rootfs: no root hash in veritysetup output"
mv "$OUT/root.img.tmp" "$OUT/root.img"
rm -f "$fs"
cat >"$OUT/root.env" <<ENV
ROOTFS_TYPE=$type
ROOTHASH=$roothash
VERITY_DATA_BLOCKS=$blocks
VERITY_HASH_OFFSET=$((blocks * 4096))
VERITY_SALT=$salt
ENV
echo "rootfs: out/root.img ($type, $(stat -c %s "$OUT/root.img") bytes with hash tree), root hash $roothash"
