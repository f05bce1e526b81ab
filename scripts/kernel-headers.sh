#!/bin/sh
# kernel-headers.sh: install the kernel's UAPI headers (for musl programs) into
# the cache and print the include directory.
set -eu
. "$(dirname "$0")/lib.sh"
pkg_conf linux
dest=$CACHE/headers/linux-$UVERSION
if [ ! -f "$dest/include/linux/version.h" ]; then
	tree=$("$TOP/scripts/kernel-src.sh")
	tmp=$dest.tmp.$$
	rm -rf "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	need make gcc
	log=$CACHE/headers/headers_install.log
	mkdir -p "$CACHE/headers"
	make -s -C "$tree" O="$tmp/obj" ARCH=x86_64 headers_install INSTALL_HDR_PATH="$tmp/hdr" >"$log" 2>&1 ||
		die_log "pkgs/linux: make headers_install failed" "$log"
	[ -f "$tmp/hdr/include/asm/types.h" ] || die "pkgs/linux: headers_install produced no asm/types.h"
	mkdir -p "$tmp.done"
	mv "$tmp/hdr/include" "$tmp.done/include"
	rm -rf "$tmp"
	trap - EXIT
	atomic_publish "$tmp.done" "$dest"
fi
# the physical path: a cache that links its headers in (make reproduce's
# clones) gets the same string, so the package keys it goes into match
(cd "$dest/include" && pwd -P)
