#!/bin/sh
# pkg.sh NAME: build pkgs/NAME static against musl, cached by a hash of its
# recipe, sources, toolchain and dependencies; then install its files into
# out/sysroot (headers, static libraries) and out/rootfs-bin (image binaries).
set -eu
. "$(dirname "$0")/lib.sh"
pkg_conf "${1:?usage: pkg.sh NAME}"

SYSROOT=$OUT/sysroot
KHDR=$("$TOP/scripts/kernel-headers.sh")
mkdir -p "$SYSROOT/usr/include" "$SYSROOT/usr/lib" "$OUT/pkgs" "$OUT/toolchain"

# musl-gcc sees no Linux UAPI headers: add ours after musl's own
CC=$OUT/toolchain/musl-cc
printf '#!/bin/sh\nexec musl-gcc -idirafter %s "$@"\n' "$KHDR" >"$CC.tmp"
chmod +x "$CC.tmp" && mv "$CC.tmp" "$CC"

depkeys=
for d in $DEPS; do
	[ -f "$OUT/pkgs/$d.key" ] || die "pkgs/$PKG: dependency $d is not built (build order in the Makefile)"
	depkeys="$depkeys $d=$(cat "$OUT/pkgs/$d.key")"
done
key=$( {
	hash_files "$PKGDIR"/* "$TOP/scripts/pkg.sh"
	musl-gcc -dumpversion; dpkg-query -W -f='${Version}\n' musl-tools
	echo "$KHDR $depkeys"
} | sha256sum | cut -c1-16)
result=$CACHE/pkg/$PKG-$UVERSION-$key

if [ ! -f "$result/.complete" ]; then
	src=$("$TOP/scripts/fetch.sh" "$PKG")
	work=$CACHE/build/$PKG.$$
	rm -rf "$work"; mkdir -p "$work"
	trap 'rm -rf "$work"' EXIT
	dpkg-source -x "$src"/*.dsc "$work/src" >"$work/unpack.log" 2>&1 ||
		die "pkgs/$PKG: dpkg-source -x failed: $(tail -1 "$work/unpack.log")"
	note "$PKG $VERSION: building"
	start=$(date +%s)
	log=$work/build.log
	mkdir -p "$work/dest"
	if ! (cd "$work/src" && env SRC="$work/src" DESTDIR="$work/dest" SYSROOT="$SYSROOT" PKGDIR="$PKGDIR" \
		CC="$CC" HOST=x86_64-linux-musl JOBS="$JOBS" \
		CFLAGS="-Os -pipe -fstack-protector-strong" CPPFLAGS="-I$SYSROOT/usr/include" \
		LDFLAGS="-static -L$SYSROOT/usr/lib" \
		PKG_CONFIG_LIBDIR="$SYSROOT/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$SYSROOT" \
		PKG_CONFIG_PATH= sh -eux "$PKGDIR/build.sh") >"$log" 2>&1; then
		tail -n 25 "$log" >&2
		cp "$log" "$CACHE/build/$PKG.failed.log"
		die "pkgs/$PKG: build failed (full log: $CACHE/build/$PKG.failed.log)"
	fi
	# libtool archives carry absolute paths that mean nothing in the sysroot
	find "$work/dest" -name '*.la' -delete
	touch "$work/dest/.complete"
	mkdir -p "$CACHE/pkg"
	atomic_publish "$work/dest" "$result"
	note "$PKG $VERSION: built in $(( $(date +%s) - start )) s"
fi

# headers and libraries for the packages built after this one
[ -d "$result/usr" ] && cp -a "$result/usr/." "$SYSROOT/usr/"
# binaries for the image
if [ -d "$result/bin" ]; then
	mkdir -p "$OUT/rootfs-bin"
	cp -a "$result/bin/." "$OUT/rootfs-bin/"
fi
echo "$key" >"$OUT/pkgs/$PKG.key"
