#!/bin/sh
# bundle.sh: out/berth-<version>.bundle, the signed update: a ustar archive
# of manifest.json, its minisign signature, the UKI and the root image, in
# that order (berth update reads them in one pass, signature first).
set -eu
. "$(dirname "$0")/../scripts/lib.sh"
VERSION=${VERSION:-$(cat "$TOP/VERSION")}
MIN_VERSION=${MIN_VERSION:-0.0.0}
key=$("$TOP/scripts/signing-key.sh")
. "$OUT/root.env"
work=$OUT/bundle.tmp
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cp "$OUT/berth.efi" "$work/berth.efi"
cp "$OUT/root.img" "$work/root.img"
sha() { sha256sum <"$1" | cut -c1-64; }
jq -n --arg v "$VERSION" --arg min "$MIN_VERSION" --arg rh "$ROOTHASH" --arg type "$ROOTFS_TYPE" \
	--argjson usize "$(stat -c %s "$work/berth.efi")" --arg usha "$(sha "$work/berth.efi")" \
	--argjson rsize "$(stat -c %s "$work/root.img")" --arg rsha "$(sha "$work/root.img")" '{
	format: 1, version: $v, compatible: "berth-x86_64", arch: "x86_64", min_version: $min,
	uki: { name: "berth.efi", size: $usize, sha256: $usha },
	root: { name: "root.img", size: $rsize, sha256: $rsha, roothash: $rh, type: $type }
}' >"$work/manifest.json"
minisign -S -s "$key" -m "$work/manifest.json" -x "$work/manifest.json.minisig" \
	-t "berth $VERSION berth-x86_64" >/dev/null || die "bundle: minisign could not sign"
out=$OUT/berth-$VERSION.bundle
tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=0644 \
	-cf "$out.tmp" -C "$work" manifest.json manifest.json.minisig berth.efi root.img
mv "$out.tmp" "$out"
echo "bundle: out/berth-$VERSION.bundle $(stat -c %s "$out") bytes, signed with $(sed -n 's/.*public key //p' "$key.pub" | head -1)"
