#!/bin/sh
# demo-seed.sh ISO [PUBKEY]: the NoCloud seed (volume label cidata, as
# cloud-localds makes it) of `make run`: images/demo-seed/ with the demo
# image out/demo.tar beside user-data, and PUBKEY authorized for root.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"
iso=${1:?usage: demo-seed.sh ISO [PUBKEY]}
key=${2:-}
need genisoimage sha256sum
[ -f "$OUT/demo.tar" ] || die "demo-seed: $OUT/demo.tar is missing (make demo)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sum=$(sha256sum <"$OUT/demo.tar" | cut -c1-64)
keys=
if [ -n "$key" ]; then
	[ "$(wc -l <"$key")" -le 1 ] || die "demo-seed: $key: expected one public key on one line"
	keys="ssh_authorized_keys: [\"$(cat "$key")\"]"
fi
awk -v sum="$sum" -v keys="$keys" '{ sub(/@DEMO_SHA256@/, sum); sub(/@SSH_KEYS@/, keys); print }' \
	"$TOP/images/demo-seed/user-data.in" >"$work/user-data"
cp "$TOP/images/demo-seed/meta-data" "$work/meta-data"
cp "$OUT/demo.tar" "$work/demo.tar"
genisoimage -quiet -o "$iso.tmp" -V cidata -J -r "$work"
mv "$iso.tmp" "$iso"
