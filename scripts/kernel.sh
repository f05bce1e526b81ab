#!/bin/sh
# kernel.sh: configure (tinyconfig + kernel-config/*.config through the
# kernel's merge_config.sh) and build the kernel; the result is cached by
# kernel version and configuration hash and published as out/vmlinuz,
# out/kernel.config and out/kernel.release.
set -eu
. "$(dirname "$0")/lib.sh"
pkg_conf linux
frags=$(ls "$TOP"/kernel-config/*.config)
# shellcheck disable=SC2086
key=$(hash_files "$PKGDIR/pkg.conf" "$PKGDIR/sha256sums" $frags "$TOP/scripts/kernel.sh" "$TOP/scripts/kconfig-check.sh")
result=$CACHE/kernel/$UVERSION-$key
mkdir -p "$OUT"

current() {
	cmp -s "$result/bzImage" "$OUT/vmlinuz" && cmp -s "$result/config" "$OUT/kernel.config" &&
		cmp -s "$result/release" "$OUT/kernel.release"
}
summary() { echo "kernel: out/vmlinuz $(stat -c %s "$OUT/vmlinuz") bytes, $(cat "$OUT/kernel.release")"; }
if [ -f "$result/bzImage" ] && current; then
	summary
	exit 0
fi
# out/ is about to change: an older kernel left there would look current if
# this build fails, so it goes first
rm -f "$OUT/vmlinuz" "$OUT/kernel.config" "$OUT/kernel.release"

if [ ! -f "$result/bzImage" ]; then
	need make gcc ld bison flex bc xz
	tree=$("$TOP/scripts/kernel-src.sh")
	obj=$CACHE/kernel/obj-$UVERSION
	# an interrupted build may have left half-written objects: start over
	[ -e "$obj/.berth-building" ] && rm -rf "$obj"
	mkdir -p "$obj"
	log=$obj/build.log
	what="kernel $VERSION"
	note "$what: configuring (key $key)"
	make -s -C "$tree" O="$obj" ARCH=x86_64 tinyconfig >"$log" 2>&1 || die_log "$what: make tinyconfig failed" "$log"
	# shellcheck disable=SC2086
	(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" $frags) >>"$log" 2>&1 ||
		die_log "$what: merge_config.sh failed" "$log"
	make -s -C "$tree" O="$obj" ARCH=x86_64 olddefconfig >>"$log" 2>&1 || die_log "$what: make olddefconfig failed" "$log"
	# each option that did not survive is printed; the last line says so once
	# shellcheck disable=SC2086
	if ! "$TOP/scripts/kconfig-check.sh" "$obj/.config" $frags 2>"$obj/check.log"; then
		sed '$d' "$obj/check.log" >&2
		last=$(tail -n 1 "$obj/check.log")
		die "$what: config check failed: ${last#kernel-config: } (config: $obj/.config)"
	fi
	# reproducible: the banner's date is the package's last Debian changelog
	# entry (as Debian's own kernel build does), and its user@host and build
	# number are fixed, not this machine's (the object directory's path
	# reaches no output: the kernel maps its source tree away); the date
	# also dates the built-in initramfs's entries
	deb=$("$TOP/scripts/fetch.sh" linux)/${SOURCE}_${UVERSION}_all.deb
	sde=$(dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -xO "./usr/share/doc/$SOURCE/changelog.Debian.gz" 2>/dev/null |
		gzip -dc | dpkg-parsechangelog -l - -STimestamp) || die "$what: no Debian changelog date in $deb"
	note "$what: building bzImage with $JOBS jobs (log: $log)"
	start=$(date +%s)
	touch "$obj/.berth-building"
	# the built-in initramfs is dated only when it is made: an object tree
	# kept from a build of another key must not keep its date
	rm -f "$obj/usr/initramfs_data.cpio" "$obj/usr/initramfs_inc_data"
	make -C "$tree" O="$obj" ARCH=x86_64 -j"$JOBS" KBUILD_BUILD_TIMESTAMP="$(LC_ALL=C date -u -d "@$sde")" \
		KBUILD_BUILD_USER=berth \
		KBUILD_BUILD_HOST=berth KBUILD_BUILD_VERSION=1 bzImage >>"$log" 2>&1 ||
		die_log "$what: make bzImage failed" "$log"
	note "$what: built in $(( $(date +%s) - start )) s"
	rm -f "$obj/.berth-building"
	tmp=$result.tmp.$$
	rm -rf "$tmp"; mkdir -p "$tmp"
	cp "$obj/arch/x86/boot/bzImage" "$tmp/bzImage"
	cp "$obj/.config" "$tmp/config"
	cp "$obj/include/config/kernel.release" "$tmp/release"
	atomic_publish "$tmp" "$result"
fi
# each file by rename, out/vmlinuz last: it is there only when all three are
for f in config:kernel.config release:kernel.release bzImage:vmlinuz; do
	cp "$result/${f%%:*}" "$OUT/${f#*:}.tmp"
	mv "$OUT/${f#*:}.tmp" "$OUT/${f#*:}"
done
summary
