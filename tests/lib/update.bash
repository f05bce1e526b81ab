# Update bundles made with the real minisign and tar, for the update suite
# (tests/host/update.bats) and the update fuzz target's seeds. Each needs W,
# a directory with a key pair made by `minisign -G -W -s $W/k.sec -p $W/k.pub`.
# Load after common.bash.

# bundle VERSION [jq filter]: $W/berth-VERSION.bundle of the payloads in
# $W/p-VERSION (random ones unless there), signed with $KEY (default $W/k.sec)
bundle() {
	local v=$1 filter=${2:-.} d=$W/p-$1
	mkdir -p "$d"
	[ -e "$d/berth.efi" ] || head -c 300000 /dev/urandom >"$d/berth.efi"
	[ -e "$d/root.img" ] || head -c 2500000 /dev/urandom >"$d/root.img"
	jq -n --arg v "$v" --argjson us "$(stat -c %s "$d/berth.efi")" --arg uh "$(sha256sum <"$d/berth.efi" | cut -c1-64)" \
		--argjson rs "$(stat -c %s "$d/root.img")" --arg rh "$(sha256sum <"$d/root.img" | cut -c1-64)" '{
		format: 1, version: $v, compatible: "berth-x86_64", arch: "x86_64", min_version: "0.1.0",
		uki: { name: "berth.efi", size: $us, sha256: $uh },
		root: { name: "root.img", size: $rs, sha256: $rh, roothash: ("cd" * 32), type: "erofs" } }' |
		jq "$filter" >"$d/manifest.json"
	minisign -S -s "${KEY:-$W/k.sec}" -m "$d/manifest.json" -x "$d/manifest.json.minisig" -t "berth $v berth-x86_64" >/dev/null
	tar --format=ustar -cf "$W/berth-$v.bundle" -C "$d" manifest.json manifest.json.minisig berth.efi root.img
}

# update_seeds DIR: the update target's seeds in DIR, each its selector byte
# then the input: a small bundle of 0.2.0 (3, with the key's line first), its
# manifest (0), the public key (1), a good and a bad UKI name (2), and the
# bundle cut short
update_seeds() {
	local key
	key=$(sed -n 2p "$W/k.pub")
	mkdir -p "$1" "$W/p-0.2.0"
	head -c 1000 /dev/urandom >"$W/p-0.2.0/berth.efi"
	head -c 3000 /dev/urandom >"$W/p-0.2.0/root.img"
	bundle 0.2.0
	{ printf '\003%s\n' "$key"; cat "$W/berth-0.2.0.bundle"; } >"$1/bundle"
	{ printf '\000'; cat "$W/p-0.2.0/manifest.json"; } >"$1/manifest"
	{ printf '\001'; cat "$W/k.pub"; } >"$1/key"
	printf '\002berth-0.2.0+3-0.efi' >"$1/name"
	printf '\002berth-0.2.0+3-x.efi' >"$1/badname"
	{ printf '\003%s\n' "$key"; head -c 3000 "$W/berth-0.2.0.bundle"; } >"$1/short"
}
