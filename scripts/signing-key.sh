#!/bin/sh
# signing-key.sh: print the minisign secret key that signs update bundles and
# make sure its public key is next to it (KEY.pub). BERTH_SIGNING_KEY names
# the real key (unencrypted, or minisign asks for its password); without it a
# throwaway development key is made in the cache, with a warning.
set -eu
. "$(dirname "$0")/lib.sh"
key=${BERTH_SIGNING_KEY:-}
if [ -z "$key" ]; then
	key=$CACHE/signing/berth-dev.key
	if [ ! -f "$key" ]; then
		mkdir -p "$CACHE/signing"
		minisign -G -W -f -s "$key.tmp" -p "$key.pub.tmp" >/dev/null
		mv "$key.pub.tmp" "$key.pub"
		mv "$key.tmp" "$key"
	fi
	note "warning: BERTH_SIGNING_KEY is not set: signing with the development key $key"
fi
[ -f "$key" ] || die "signing key $key: no such file"
[ -f "$key.pub" ] || minisign -R -s "$key" -p "$key.pub" >/dev/null || die "signing key $key: cannot derive its public key"
echo "$key"
