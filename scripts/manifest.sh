#!/bin/sh
# manifest.sh PKG...: write out/manifest.json, one entry per package in the
# image: Debian source package, version, license, checksums of its sources.
set -eu
. "$(dirname "$0")/lib.sh"
need jq
mkdir -p "$OUT"
tmp=$OUT/manifest.json.tmp
for p in "$@"; do
	pkg_conf "$p"
	bins=
	[ -f "$OUT/pkgs/$p.key" ] && [ -d "$CACHE/pkg/$p-$UVERSION-$(cat "$OUT/pkgs/$p.key")/bin" ] &&
		bins=$(ls "$CACHE/pkg/$p-$UVERSION-$(cat "$OUT/pkgs/$p.key")/bin" | tr '\n' ' ')
	jq -n --arg name "$p" --arg source "$SOURCE" --arg version "$VERSION" --arg kind "$KIND" \
		--arg license "$LICENSE" --arg bins "$bins" --rawfile sums "$PKGDIR/sha256sums" '{
		name: $name, source: $source, version: $version,
		origin: (if $kind == "deb" then "Debian binary package" else "Debian source package" end),
		license: $license,
		binaries: ($bins | split(" ") | map(select(. != ""))),
		files: ($sums | split("\n") | map(select(. != "") | split("  ") | {name: .[1], sha256: .[0]}))
	}'
done | jq -s '{ distribution: "berth", packages: . }' >"$tmp"
# unchanged: leave the file (and its time) alone, so a no-op make writes nothing
if cmp -s "$tmp" "$OUT/manifest.json"; then rm -f "$tmp"; else mv "$tmp" "$OUT/manifest.json"; fi
echo "manifest: out/manifest.json, $(jq '.packages | length' "$OUT/manifest.json") packages"
