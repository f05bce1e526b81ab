#!/bin/sh
# kernel.sh: configure (tinyconfig + kernel-config/*.config through the
# kernel's merge_config.sh) and build the kernel; the result is cached by
# kernel version and configuration hash and copied to out/vmlinuz.
set -eu
. "$(dirname "$0")/lib.sh"
pkg_conf linux
frags=$(ls "$TOP"/kernel-config/*.config)
# shellcheck disable=SC2086
key=$(hash_files "$PKGDIR/pkg.conf" "$PKGDIR/sha256sums" $frags "$TOP/scripts/kernel.sh" "$TOP/scripts/kconfig-check.sh")
result=$CACHE/kernel/$UVERSION-$key
mkdir -p "$OUT"

if [ ! -f "$result/bzImage" ]; then
	tree=$("$TOP/scripts/kernel-src.sh")
	obj=$CACHE/kernel/obj-$UVERSION
	# an interrupted build may have left half-written objects: start over
	[ -e "$obj/.berth-building" ] && rm -rf "$obj"
	mkdir -p "$obj"
	touch "$obj/.berth-building"
	log=$obj/build.log
	note "kernel $VERSION: configuring (key $key)"
	make -s -C "$tree" O="$obj" ARCH=x86_64 tinyconfig >"$log" 2>&1 || die "kernel: tinyconfig failed (see $log)"
	# shellcheck disable=SC2086
	(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" $frags) >>"$log" 2>&1 ||
		die "kernel: merge_config.sh failed (see $log)"
	make -s -C "$tree" O="$obj" ARCH=x86_64 olddefconfig >>"$log" 2>&1 || die "kernel: olddefconfig failed (see $log)"
	# shellcheck disable=SC2086
	"$TOP/scripts/kconfig-check.sh" "$obj/.config" $frags
	note "kernel $VERSION: building bzImage with $JOBS jobs (log: $log)"
	start=$(date +%s)
	if ! make -C "$tree" O="$obj" ARCH=x86_64 -j"$JOBS" bzImage >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "kernel: build failed (see $log)"
	fi
	note "kernel $VERSION: built in $(( $(date +%s) - start )) s"
	rm -f "$obj/.berth-building"
	tmp=$result.tmp.$$
	rm -rf "$tmp"; mkdir -p "$tmp"
	cp "$obj/arch/x86/boot/bzImage" "$tmp/bzImage"
	cp "$obj/.config" "$tmp/config"
	cp "$obj/include/config/kernel.release" "$tmp/release"
	atomic_publish "$tmp" "$result"
fi
cp "$result/bzImage" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
cp "$result/config" "$OUT/kernel.config"
cp "$result/release" "$OUT/kernel.release"
echo "kernel: out/vmlinuz $(stat -c %s "$OUT/vmlinuz") bytes, $(cat "$OUT/kernel.release")"
