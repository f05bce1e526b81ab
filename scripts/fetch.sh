#!/bin/sh
# fetch.sh NAME: download the Debian source (or binary) package pinned in
# pkgs/NAME into the cache, verify every file against pkgs/NAME/sha256sums,
# and print the directory that holds the verified files.
set -eu
. "$(dirname "$0")/lib.sh"
pkg_conf "${1:?usage: fetch.sh NAME}"
need apt-get sha256sum

sums=$PKGDIR/sha256sums
[ -s "$sums" ] || die "pkgs/$PKG/sha256sums: missing or empty: nothing to verify against"

if [ ! -d "$SRCDIR" ]; then
	tmp=$SRCDIR.tmp.$$
	rm -rf "$tmp"; mkdir -p "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	sandbox=
	[ "$(id -u)" = 0 ] && sandbox="-o APT::Sandbox::User=root"
	case $KIND in
	dsc) what="source $SOURCE=$VERSION"
	     # shellcheck disable=SC2086
	     (cd "$tmp" && apt-get $sandbox -q source --download-only "$SOURCE=$VERSION" >apt.log 2>&1) ;;
	deb) what="binary $SOURCE=$VERSION"
	     # shellcheck disable=SC2086
	     (cd "$tmp" && apt-get $sandbox -q download "$SOURCE=$VERSION" >apt.log 2>&1) ;;
	*) die "pkgs/$PKG/pkg.conf: KIND=$KIND: expected dsc or deb" ;;
	esac || die "pkgs/$PKG: apt-get could not fetch $what: $(grep -E '^(E|W):' "$tmp/apt.log" | head -1)"
	rm -f "$tmp/apt.log"
	# check before publishing, so a bad download never enters the cache
	while read -r sum file; do
		[ -f "$tmp/$file" ] || die "pkgs/$PKG: $file: not in the downloaded $what"
		got=$(sha256sum <"$tmp/$file" | cut -d' ' -f1)
		[ "$got" = "$sum" ] || die "pkgs/$PKG: $file: sha256 mismatch after download (pinned $sum, got $got)"
	done <"$sums"
	mkdir -p "$(dirname "$SRCDIR")"
	mv "$tmp" "$SRCDIR"
	trap - EXIT
fi

while read -r sum file; do
	[ -f "$SRCDIR/$file" ] || die "pkgs/$PKG: $file: missing from cache $SRCDIR (remove that directory to fetch again)"
	got=$(sha256sum <"$SRCDIR/$file" | cut -d' ' -f1)
	[ "$got" = "$sum" ] || die "pkgs/$PKG: $SRCDIR/$file: sha256 mismatch (pinned $sum, got $got): refusing a corrupted or substituted source; remove $SRCDIR to fetch again"
done <"$sums"
echo "$SRCDIR"
