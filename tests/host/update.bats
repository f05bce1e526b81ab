#!/usr/bin/env bats
# berth update verify: bundles made with the real minisign and tar, checked
# by Berth's own verifier (libsodium, minisign's prehashed format).

setup_file() {
	load ../lib/common
	make -s -C "$TOP" "$OUT/bin/berth" >&2
}

setup() {
	load ../lib/common
	W=$BATS_TEST_TMPDIR
	BERTH=$OUT/bin/berth
	minisign -G -W -f -s "$W/k.sec" -p "$W/k.pub" >/dev/null
	mkdir -p "$W/b"
	head -c 300000 /dev/urandom >"$W/b/berth.efi"
	head -c 1000000 /dev/urandom >"$W/b/root.img"
}

# make_bundle OUT [jq filter applied to the manifest]: a bundle of $W/b
make_bundle() {
	local out=$1 filter=${2:-.}
	jq -n --argjson us "$(stat -c %s "$W/b/berth.efi")" --arg uh "$(sha256sum <"$W/b/berth.efi" | cut -c1-64)" \
		--argjson rs "$(stat -c %s "$W/b/root.img")" --arg rh "$(sha256sum <"$W/b/root.img" | cut -c1-64)" '{
		format: 1, version: "0.2.0", compatible: "berth-x86_64", arch: "x86_64", min_version: "0.1.0",
		uki: { name: "berth.efi", size: $us, sha256: $uh },
		root: { name: "root.img", size: $rs, sha256: $rh, roothash: ("ab" * 32), type: "erofs" } }' |
		jq "$filter" >"$W/b/manifest.json"
	minisign -S -s "${KEY:-$W/k.sec}" -m "$W/b/manifest.json" -x "$W/b/manifest.json.minisig" -t "berth 0.2.0" >/dev/null
	tar --format=ustar -cf "$out" -C "$W/b" manifest.json manifest.json.minisig berth.efi root.img
}

@test "a good bundle verifies: signature, manifest, both payload digests" {
	make_bundle "$W/good.bundle"
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/good.bundle"
	assert_success
	assert_output --partial 'Berth 0.2.0 for berth-x86_64 (x86_64), from 0.1.0 on; signature good, trusted comment: berth 0.2.0'
}

@test "a bundle signed with another key is refused, naming both key ids" {
	minisign -G -W -f -s "$W/other.sec" -p "$W/other.pub" >/dev/null
	KEY=$W/other.sec make_bundle "$W/other.bundle"
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/other.bundle"
	assert_failure
	assert_output --regexp 'manifest.json.minisig: signature: made with key [0-9A-F]{16}, expected key [0-9A-F]{16}$'
}

@test "a changed manifest byte breaks the signature" {
	make_bundle "$W/good.bundle"
	off=$(grep -abo '"0.2.0"' "$W/good.bundle" | head -1 | cut -d: -f1)
	printf '9' | dd of="$W/good.bundle" bs=1 seek=$((off + 5)) conv=notrunc status=none
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/good.bundle"
	assert_failure
	assert_output --partial 'signature: does not verify: the signed file was changed'
}

@test "a changed trusted comment breaks the global signature" {
	make_bundle "$W/good.bundle"
	sed -i 's/^trusted comment: berth 0.2.0$/trusted comment: berth 9.9.9/' "$W/b/manifest.json.minisig"
	tar --format=ustar -cf "$W/tc.bundle" -C "$W/b" manifest.json manifest.json.minisig berth.efi root.img
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/tc.bundle"
	assert_failure
	assert_output --partial 'the trusted comment was changed'
}

@test "a tampered payload is refused, naming it and both digests" {
	make_bundle "$W/good.bundle"
	# root.img's tar header is the 512-aligned place its name appears
	hdr=$(grep -abo 'root.img' "$W/good.bundle" | cut -d: -f1 | while read -r o; do [ $((o % 512)) -eq 0 ] && echo "$o"; done)
	off=$((hdr + 512 + 777))
	printf 'X' | dd of="$W/good.bundle" bs=1 seek="$off" conv=notrunc status=none
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/good.bundle"
	assert_failure
	assert_output --regexp 'root.img: sha256 [0-9a-f]{64}, the signed manifest says [0-9a-f]{64}$'
}

@test "a truncated bundle is refused, naming where it ends" {
	make_bundle "$W/good.bundle"
	head -c 500000 "$W/good.bundle" >"$W/short.bundle"
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/short.bundle"
	assert_failure
	assert_output --regexp 'truncated in root.img after [0-9]+ of 1000000 bytes'
}

@test "a legacy (non-prehashed) signature is refused" {
	make_bundle "$W/good.bundle"
	minisign -S -l -s "$W/k.sec" -m "$W/b/manifest.json" -x "$W/b/manifest.json.minisig" >/dev/null
	tar --format=ustar -cf "$W/legacy.bundle" -C "$W/b" manifest.json manifest.json.minisig berth.efi root.img
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/legacy.bundle"
	assert_failure
	assert_output --partial 'legacy (non-prehashed) minisign signature refused'
}

@test "a signed manifest with a bad field is refused naming the field" {
	make_bundle "$W/bad.bundle" '.root.roothash = "xyz"'
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/bad.bundle"
	assert_failure
	assert_output --partial 'manifest.json: root.roothash: expected 64 lowercase hex digits'
	make_bundle "$W/bad2.bundle" 'del(.compatible)'
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/bad2.bundle"
	assert_failure
	assert_output --partial 'manifest.json: compatible: missing or not a string'
}

@test "members out of order or of another type are refused" {
	make_bundle "$W/good.bundle"
	tar --format=ustar -cf "$W/order.bundle" -C "$W/b" manifest.json.minisig manifest.json berth.efi root.img
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/order.bundle"
	assert_failure
	assert_output --partial 'expected member manifest.json, found manifest.json.minisig'
	ln -s root.img "$W/b/link"
	tar --format=ustar -cf "$W/link.bundle" -C "$W/b" link
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/link.bundle"
	assert_failure
	assert_output --partial "member type '2'"
}
