#!/bin/sh
# kernel-src.sh: print the path of the extracted, verified kernel source tree
# (cached; extracted into a temporary directory and renamed when complete).
set -eu
. "$(dirname "$0")/lib.sh"
pkg_conf linux
deb=$("$TOP/scripts/fetch.sh" linux)/${SOURCE}_${UVERSION}_all.deb
tree=$CACHE/linux/$SOURCE-$UVERSION
if [ ! -f "$tree/Makefile" ]; then
	need dpkg-deb tar xz
	note "extracting $SOURCE $VERSION"
	tmp=$tree.tmp.$$
	rm -rf "$tmp"; mkdir -p "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$SOURCE.tar.xz" | tar -xJ -C "$tmp" ||
		die "pkgs/linux: cannot extract $deb"
	mv "$tmp/$SOURCE" "$tmp.tree"
	rm -rf "$tmp"
	trap - EXIT
	atomic_publish "$tmp.tree" "$tree"
fi
echo "$tree"
