#!/bin/sh
# pkg.sh NAME: build pkgs/NAME static against musl, cached by a hash of its
# recipe, sources, toolchain and dependencies; then install its files into
# STAGE (default out/): STAGE/sysroot (headers, static libraries),
# STAGE/rootfs-bin (image binaries) and STAGE/pkgs/NAME.key.
# pkg.sh --key NAME: print that hash only (dependencies' from STAGE/pkgs).
# `make pkgs` runs it through pkgs.sh, which stages and publishes the set.
set -eu
. "$(dirname "$0")/lib.sh"
mode=install
[ "${1:-}" = --key ] && { mode=key; shift; }
pkg_conf "${1:?usage: pkg.sh [--key] NAME}"
need musl-gcc dpkg-query sha256sum

STAGE=${STAGE:-$OUT}
SYSROOT=$STAGE/sysroot
KHDR=$("$TOP/scripts/kernel-headers.sh")

depkeys=
for d in $DEPS; do
	[ -f "$STAGE/pkgs/$d.key" ] || die "pkgs/$PKG: dependency $d is not built (build order in the Makefile)"
	depkeys="$depkeys $d=$(cat "$STAGE/pkgs/$d.key")"
done
key=$( {
	hash_files "$PKGDIR"/* "$TOP/scripts/pkg.sh"
	musl-gcc -dumpversion; dpkg-query -W -f='${Version}\n' musl-tools
	# the headers by version (their path below the cache), not where the cache is
	echo "${KHDR##*/headers/} $depkeys"
} | sha256sum | cut -c1-16)
if [ "$mode" = key ]; then
	echo "$key"
	exit 0
fi
result=$CACHE/pkg/$PKG-$UVERSION-$key

# musl-gcc sees no Linux UAPI headers: add ours after musl's own
CC=$OUT/toolchain/musl-cc
cc="#!/bin/sh
exec musl-gcc -idirafter $KHDR \"\$@\""
if [ "$(cat "$CC" 2>/dev/null)" != "$cc" ]; then
	mkdir -p "$OUT/toolchain"
	printf '%s\n' "$cc" >"$CC.tmp"
	chmod +x "$CC.tmp" && mv "$CC.tmp" "$CC"
fi

if [ ! -f "$result/.complete" ]; then
	need dpkg-source patch make gcc autoreconf pkg-config cmake bison
	src=$("$TOP/scripts/fetch.sh" "$PKG")
	work=$CACHE/build/$PKG.$$
	failed=$CACHE/build/$PKG.failed.log
	rm -rf "$work"; mkdir -p "$work/dest" "$SYSROOT/usr/include" "$SYSROOT/usr/lib"
	trap 'rm -rf "$work"' EXIT
	log=$work/build.log
	if ! dpkg-source -x "$src"/*.dsc "$work/src" >"$log" 2>&1; then
		cp "$log" "$failed"
		die_log "pkgs/$PKG: dpkg-source -x failed" "$failed"
	fi
	note "$PKG $VERSION: building"
	start=$(date +%s)
	# reproducible: dates the build embeds are the package's own (its last
	# Debian changelog entry, as dpkg-buildpackage does), and the build
	# directory (a new name each time) never reaches a binary. A section
	# per function and object: the programs' --gc-sections then keeps only
	# what they call (libsodium's core.o alone would bring every cipher)
	sde=$(dpkg-parsechangelog -l "$work/src/debian/changelog" -STimestamp 2>/dev/null) || sde=0
	map="-ffile-prefix-map=$work/src=/usr/src/$PKG -ffile-prefix-map=$SYSROOT=/sysroot"
	if ! (cd "$work/src" && env SRC="$work/src" DESTDIR="$work/dest" SYSROOT="$SYSROOT" PKGDIR="$PKGDIR" \
		CC="$CC" HOST=x86_64-linux-musl JOBS="$JOBS" SOURCE_DATE_EPOCH="$sde" \
		CFLAGS="-Os -pipe -fstack-protector-strong -ffunction-sections -fdata-sections $map" CPPFLAGS="-I$SYSROOT/usr/include $map" \
		LDFLAGS="-static -L$SYSROOT/usr/lib" \
		PKG_CONFIG_LIBDIR="$SYSROOT/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$SYSROOT" \
		PKG_CONFIG_PATH= sh -eux "$PKGDIR/build.sh") >>"$log" 2>&1; then
		cp "$log" "$failed"
		die_log "pkgs/$PKG: build.sh failed" "$failed"
	fi
	rm -f "$failed"
	# libtool archives carry absolute paths that mean nothing in the sysroot
	find "$work/dest" -name '*.la' -delete
	touch "$work/dest/.complete"
	mkdir -p "$CACHE/pkg"
	atomic_publish "$work/dest" "$result"
	note "$PKG $VERSION: built in $(( $(date +%s) - start )) s"
fi

# a set changed by hand is no longer the one pkgs.sh published
rm -f "$STAGE/pkgs/.complete"
mkdir -p "$SYSROOT/usr/include" "$SYSROOT/usr/lib" "$STAGE/pkgs"
# headers and libraries for the packages built after this one
[ -d "$result/usr" ] && cp -a "$result/usr/." "$SYSROOT/usr/"
# binaries for the image
if [ -d "$result/bin" ]; then
	mkdir -p "$STAGE/rootfs-bin"
	cp -a "$result/bin/." "$STAGE/rootfs-bin/"
fi
echo "$key" >"$STAGE/pkgs/$PKG.key"
