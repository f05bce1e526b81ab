#!/usr/bin/env bats
# The signed bundle that `make bundle` writes, checked by the berth command
# inside a booted Berth against the public key built into its image.

setup() {
	load ../lib/common
	load ../lib/vm
	VM_KEY=$OUT/test/id_ed25519
	BUNDLE=$OUT/berth-$(cat "$TOP/VERSION").bundle
}

teardown() { vm_stop; }

@test "make bundle: a tar of manifest, signature, UKI and root image, in that order" {
	run tar tf "$BUNDLE"
	assert_success
	assert_output $'manifest.json\nmanifest.json.minisig\nberth.efi\nroot.img'
	run bash -c "tar xOf '$BUNDLE' manifest.json | jq -r '.version, .compatible, .uki.size, .root.roothash'"
	assert_line --index 0 "$(cat "$TOP/VERSION")"
	assert_line --index 1 berth-x86_64
	assert_line --index 2 "$(stat -c %s "$OUT/berth.efi")"
	assert_line --index 3 "$(sed -n 's/^ROOTHASH=//p' "$OUT/root.env")"
}

@test "inside Berth, berth update verify accepts the bundle with the built-in key and refuses a tampered one" {
	vm_boot "$OUT/test/berth.img"
	vm_wait ready
	vm_wait_ssh
	vm_ssh 'cat >/var/tmp/b.bundle' <"$BUNDLE"
	run vm_ssh berth update verify /var/tmp/b.bundle
	assert_success
	assert_output --partial "Berth $(cat "$TOP/VERSION") for berth-x86_64 (x86_64)"
	assert_output --partial 'signature good'
	# one byte of the root image changed
	size=$(stat -c %s "$BUNDLE")
	vm_ssh "printf X | dd of=/var/tmp/b.bundle bs=1 seek=$((size - 12000)) conv=notrunc 2>/dev/null"
	run vm_ssh berth update verify /var/tmp/b.bundle
	assert_failure 1
	assert_output --regexp 'root.img: sha256 [0-9a-f]{64}, the signed manifest says [0-9a-f]{64}'
}
